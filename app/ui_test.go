package app

import (
	"flag"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

var update = flag.Bool("update", false, "rewrite the golden markup files in testdata")

// loopApp is Fyne's test app with a driver whose fyne.Do does not run the
// function on the caller's goroutine (as the test driver does) but hands
// it to the test goroutine, which plays the UI goroutine: it runs them
// while it waits (loopDriver.until), rendering the windows after each as
// a frame would. So a background goroutine that touches a widget without
// fyne.Do races with the test goroutine, and the race detector (make
// test runs -race) fails the test: this is how the tests check that jobs
// update the window through fyne.Do only. (Fyne's own test driver runs
// fyne.Do functions at once on the caller's goroutine and has no thread
// check.)
type loopApp struct {
	fyne.App
	drv *loopDriver
}

func (a *loopApp) Driver() fyne.Driver { return a.drv }

type loopDriver struct {
	fyne.Driver
	calls chan func()
	// n counts the functions handed over by fyne.Do.
	n atomic.Int64
	// closed: the test is over; what its background work still hands
	// over is dropped.
	closed atomic.Bool
}

// DoFromGoroutine queues f for the UI (test) goroutine.
func (d *loopDriver) DoFromGoroutine(f func(), wait bool) {
	if d.closed.Load() {
		return
	}
	d.n.Add(1)
	done := make(chan struct{})
	d.calls <- func() { defer close(done); f() }
	if wait {
		<-done
	}
}

// until runs the queued UI work until cond holds.
func (d *loopDriver) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for !cond() {
		select {
		case f := <-d.calls:
			f()
			d.render()
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// render reads every widget of every window, as painting a frame does,
// so that a widget written off the UI goroutine is seen racing.
func (d *loopDriver) render() {
	for _, w := range d.AllWindows() {
		test.RenderToMarkup(w.Canvas())
	}
}

// drain runs the queued UI work until stop is closed.
func (d *loopDriver) drain(stop <-chan struct{}) {
	for {
		select {
		case f := <-d.calls:
			f()
		case <-stop:
			return
		}
	}
}

// newLoopApp makes the test app current, with the loop driver.
func newLoopApp(t *testing.T) (*loopApp, *loopDriver) {
	var la *loopApp
	// Run last (cleanups run in reverse): a job of this test may still
	// end and report through fyne.Do. With the plain test app current,
	// its report would run on the job's goroutine, racing with the next
	// test's window; this app stays current and drops it instead.
	t.Cleanup(func() {
		la.drv.closed.Store(true)
		fyne.SetCurrentApp(la)
	})
	a := test.NewTempApp(t)
	d := &loopDriver{Driver: a.Driver(), calls: make(chan func(), 4096)}
	la = &loopApp{App: a, drv: d}
	fyne.SetCurrentApp(la)
	return la, d
}

// golden compares the window's markup with testdata/name, or rewrites it
// with -update.
func golden(t *testing.T, c fyne.Canvas, name string) {
	t.Helper()
	if *update {
		p := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(test.RenderToMarkup(c)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertRendersToMarkup(t, name, c)
}
