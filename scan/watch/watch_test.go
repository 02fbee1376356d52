package watch

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func drop(t *testing.T, dir, name string, data []byte, age time.Duration) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// recorder is a handler that remembers what it was given.
type recorder struct {
	mu    sync.Mutex
	files []File
	fail  string // name to fail
}

func (r *recorder) handle(ctx context.Context, f File) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := os.Stat(f.Path); err != nil {
		return err
	}
	r.files = append(r.files, f)
	if f.Name == r.fail {
		return errors.New("cannot read this one")
	}
	return nil
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n []string
	for _, f := range r.files {
		n = append(n, f.Name)
	}
	return n
}

func TestOnceHandlesInOrderAndMovesAside(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	drop(t, dir, "scan10.png", png, time.Minute)
	drop(t, dir, "scan2.png", png, time.Minute)
	drop(t, dir, "bad.png", png, 2*time.Minute)
	drop(t, dir, "notes.txt", []byte("not a scan"), time.Minute)
	drop(t, dir, ".hidden.png", png, time.Minute)
	r := &recorder{fail: "bad.png"}
	if err := Run(context.Background(), Options{Dir: dir, Once: true, Settle: 50 * time.Millisecond, Poll: 10 * time.Millisecond}, r.handle); err != nil {
		t.Fatal(err)
	}
	if got, want := r.names(), []string{"bad.png", "scan2.png", "scan10.png"}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v (oldest first, then natural order)", got, want)
	}
	if got := names(t, filepath.Join(dir, doneDir)); !slices.Equal(got, []string{"scan10.png", "scan2.png"}) {
		t.Errorf("done/ holds %v", got)
	}
	if got := names(t, filepath.Join(dir, failedDir)); !slices.Equal(got, []string{"bad.png", "bad.png.error.txt"}) {
		t.Errorf("failed/ holds %v", got)
	}
	note, _ := os.ReadFile(filepath.Join(dir, failedDir, "bad.png.error.txt"))
	if !strings.Contains(string(note), "cannot read this one") {
		t.Errorf("failure note %q does not say why", note)
	}
	if got := names(t, filepath.Join(dir, workDir)); len(got) != 0 {
		t.Errorf("work folder holds %v", got)
	}
	// What is not a scan stays where it was.
	for _, n := range []string{"notes.txt", ".hidden.png"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was touched: %v", n, err)
		}
	}
}

func TestWaitsForFileToComplete(t *testing.T) {
	dir := t.TempDir()
	jpg := fixture(t, "letter-fr-ar.png")
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() {
		done <- Run(ctx, Options{Dir: dir, Settle: 100 * time.Millisecond, Poll: 20 * time.Millisecond}, r.handle)
	}()
	// The scanner writes half the file, pauses longer than Settle, then
	// the rest: the half file must not be taken (no IEND yet).
	p := filepath.Join(dir, "slow.png")
	os.WriteFile(p, jpg[:len(jpg)/2], 0o644)
	time.Sleep(400 * time.Millisecond)
	if n := r.names(); len(n) != 0 {
		t.Fatalf("took %v while it was half written", n)
	}
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(jpg[len(jpg)/2:])
	f.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.names()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.names(); !slices.Equal(got, []string{"slow.png"}) {
		t.Fatalf("handled %v", got)
	}
	data, _ := os.ReadFile(filepath.Join(dir, doneDir, "slow.png"))
	if len(data) != len(jpg) {
		t.Errorf("done/slow.png has %d bytes, want %d", len(data), len(jpg))
	}
}

func TestResumesClaimedFiles(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	os.MkdirAll(filepath.Join(dir, workDir), 0o755)
	drop(t, filepath.Join(dir, workDir), "claimed.png", png, 0)
	drop(t, dir, "new.png", png, time.Minute)
	r := &recorder{}
	if err := Run(context.Background(), Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond, Poll: 5 * time.Millisecond}, r.handle); err != nil {
		t.Fatal(err)
	}
	if len(r.files) != 2 || r.files[0].Name != "claimed.png" || !r.files[0].Resumed || r.files[1].Resumed {
		t.Fatalf("handled %+v: want claimed.png resumed first, then new.png", r.files)
	}
}

func TestStopLeavesFileClaimed(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a.png", fixture(t, "letter-fr-ar.png"), time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	err := Run(ctx, Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond}, func(ctx context.Context, f File) error {
		cancel() // the program is stopped while handling
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, filepath.Join(dir, workDir)); !slices.Equal(got, []string{"a.png"}) {
		t.Errorf("work folder holds %v, want a.png kept for the next run", got)
	}
	if got := names(t, filepath.Join(dir, doneDir)); len(got) != 0 {
		t.Errorf("done/ holds %v", got)
	}
}

func TestNeverReplacesInDone(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	os.MkdirAll(filepath.Join(dir, doneDir), 0o755)
	drop(t, filepath.Join(dir, doneDir), "scan.png", []byte("yesterday's"), 0)
	drop(t, dir, "scan.png", png, time.Minute)
	r := &recorder{}
	if err := Run(context.Background(), Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond}, r.handle); err != nil {
		t.Fatal(err)
	}
	if got := names(t, filepath.Join(dir, doneDir)); !slices.Equal(got, []string{"scan-2.png", "scan.png"}) {
		t.Errorf("done/ holds %v", got)
	}
	if old, _ := os.ReadFile(filepath.Join(dir, doneDir, "scan.png")); string(old) != "yesterday's" {
		t.Error("an earlier file in done/ was replaced")
	}
}

// Two instances watching one folder take each file once.
func TestTwoWatchersTakeEachFileOnce(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	for _, n := range []string{"1.png", "2.png", "3.png", "4.png", "5.png", "6.png"} {
		drop(t, dir, n, png, time.Minute)
	}
	r := &recorder{}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Run(context.Background(), Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond, Poll: 5 * time.Millisecond}, r.handle); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := r.names()
	slices.Sort(got)
	if !slices.Equal(got, []string{"1.png", "2.png", "3.png", "4.png", "5.png", "6.png"}) {
		t.Errorf("handled %v, want each file once", got)
	}
}

// An instance that starts while another is handling a file leaves that
// file to it (it is claimed, not abandoned), and a new file of the same
// name dropped meanwhile waits for it instead of replacing it.
func TestStartingWatcherLeavesAFileBeingHandled(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	drop(t, dir, "scan.png", png, time.Minute)
	handling, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- Run(context.Background(), Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond}, func(ctx context.Context, f File) error {
			close(handling)
			<-release
			return nil
		})
	}()
	<-handling

	second := append(slices.Clip(png), "second"...)
	drop(t, dir, "scan.png", second, time.Minute)
	drop(t, dir, "other.png", png, time.Minute)
	r := &recorder{}
	done := make(chan error, 1)
	var logged syncBuffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	go func() {
		done <- Run(context.Background(), Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond, Poll: 5 * time.Millisecond, Logger: logger}, r.handle)
	}()
	// The watcher says the new scan.png waits once it has been there.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logged.String(), "this one waits"); {
		if time.Now().After(deadline) {
			t.Fatalf("the second instance never said scan.png waits; it logged:\n%s", logged.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := r.names(); !slices.Equal(got, []string{"other.png"}) {
		t.Errorf("while the first instance handles scan.png, the second handled %v, want only other.png", got)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.names(); !slices.Equal(got, []string{"other.png", "scan.png"}) {
		t.Errorf("the second instance handled %v, want other.png, then the new scan.png once its turn came", got)
	}
	if got := names(t, filepath.Join(dir, doneDir)); !slices.Equal(got, []string{"other.png", "scan-2.png", "scan.png"}) {
		t.Fatalf("done/ holds %v", got)
	}
	for name, want := range map[string][]byte{"scan.png": png, "scan-2.png": second} {
		if got, _ := os.ReadFile(filepath.Join(dir, doneDir, name)); string(got) != string(want) {
			t.Errorf("done/%s is not the file dropped %s", name, map[bool]string{true: "first", false: "second"}[name == "scan.png"])
		}
	}
}

// A file left claimed by an instance that died after this one started
// is found when a new file of its name arrives, and handled first.
func TestLateAbandonedClaim(t *testing.T) {
	dir := t.TempDir()
	png := fixture(t, "letter-fr-ar.png")
	for _, d := range []string{workDir, doneDir, failedDir} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	drop(t, dir, "scan.png", png, time.Minute)
	// Claimed (nobody holds its lock: its instance is gone) after this
	// instance's start-up: the work folder is not looked at again.
	r := &recorder{}
	w := &watcher{opt: Options{Dir: dir, Once: true, Settle: 10 * time.Millisecond}, handle: r.handle, seen: map[string]stat{}, waiting: map[string]bool{}}
	w.opt.applyDefaults()
	drop(t, filepath.Join(dir, workDir), "scan.png", []byte("abandoned"), 0)
	for i := 0; i < 3 && len(r.names()) < 2; i++ {
		if err := w.pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.files; len(got) != 2 || !got[0].Resumed || got[1].Resumed {
		t.Fatalf("handled %+v: want the abandoned scan.png (resumed), then the new one", got)
	}
	if got := names(t, filepath.Join(dir, doneDir)); !slices.Equal(got, []string{"scan-2.png", "scan.png"}) {
		t.Errorf("done/ holds %v", got)
	}
}

// syncBuffer is a log's output read while the watcher writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
