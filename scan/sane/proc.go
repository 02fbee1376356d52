package sane

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demat-app/demat/scan"
)

// Why the parent killed a child.
const (
	killNone     int32 = iota
	killTimeout        // it stopped answering for Options.Timeout
	killCancel         // ctx was cancelled and it did not stop in time
	killStuck          // it did not exit after its job ended
	killProtocol       // it broke the protocol
)

// child is one child process seen from the parent. Its methods are called
// from the goroutine running the Driver call; kill and send may also be
// called by the watchdog and by the cancel hook, and are safe for that.
type child struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stdout    io.ReadCloser
	r         *bufio.Reader // stdout, through the watchdog
	stderr    *tail
	dog       *watchdog
	timeout   time.Duration
	cancelCmd context.CancelFunc // cancels the context Command was given
	log       *slog.Logger

	wmu         sync.Mutex // guards writes to stdin and stdinClosed
	stdinClosed bool

	why       atomic.Int32 // first reason it was killed
	waitOnce  sync.Once
	waitErr   error
	drainOnce sync.Once
}

// startChild starts a child and reads its hello.
func (d *Driver) startChild(ctx context.Context) (*child, error) {
	// The child's life is the parent's to end (cancel first, kill after a
	// grace period), so Command gets a context that only a kill cancels;
	// it keeps ctx's values.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cmd := d.opt.Command(cctx)
	if cmd == nil {
		cancel()
		return nil, errors.New("sane: Options.Command returned no command")
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sane: start the SANE helper process: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sane: start the SANE helper process: %w", err)
	}
	t := &tail{log: d.opt.Logger}
	if cmd.Stderr == nil {
		cmd.Stderr = t
	}
	if cmd.WaitDelay == 0 {
		// A grandchild (some backends fork a reader) may keep the pipes
		// open after the child died: do not wait for it.
		cmd.WaitDelay = time.Second
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("sane: start the SANE helper process %s: %w", cmd.Path, err)
	}
	c := &child{
		cmd: cmd, stdin: stdin, stdout: stdout, stderr: t,
		timeout: d.opt.Timeout, cancelCmd: cancel, log: d.opt.Logger,
	}
	c.dog = newWatchdog(d.opt.Timeout, func() { c.kill(killTimeout) })
	c.r = bufio.NewReaderSize(activity{stdout, c.dog}, 64<<10)
	d.opt.Logger.Debug("sane: child started", "pid", cmd.Process.Pid)

	// Only a kill unblocks the wait for hello when ctx ends; the callers
	// take over the cancelling once it has come.
	stop := context.AfterFunc(ctx, func() { c.kill(killCancel) })
	m, err := c.recv()
	stop()
	if err == nil && (m.Type != msgHello || m.Version != protocolVersion) {
		err = fmt.Errorf("%w: the helper said %s version %d, demat speaks version %d", errProtocol, m.Type, m.Version, protocolVersion)
	}
	if err != nil {
		err = c.startFailure(ctx, err)
		c.finish()
		return nil, err
	}
	return c, nil
}

// startFailure explains a child that did not say hello.
func (c *child) startFailure(ctx context.Context, err error) error {
	switch {
	case c.why.Load() == killTimeout:
		return fmt.Errorf("sane: the SANE helper process did not answer within %s: %w", c.timeout, scan.ErrOffline)
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errProtocol):
		c.kill(killProtocol)
		return fmt.Errorf("sane: %s is not the SANE helper (does the program handle %q?): %v%s", c.cmd.Path, ChildArg, err, c.stderr.said())
	}
	return fmt.Errorf("sane: the SANE helper process (%s %s) ended before starting: %s%s",
		c.cmd.Path, strings.Join(c.cmd.Args[1:], " "), c.exit(), c.stderr.said())
}

// failure explains why talking to the child failed, when: "after page 3".
func (c *child) failure(ctx context.Context, err error, when string) error {
	if c.why.Load() == killTimeout {
		return fmt.Errorf("sane: the scanner stopped answering (nothing for %s) %s: %w", c.timeout, when, scan.ErrOffline)
	}
	if ctx.Err() != nil {
		return ctx.Err() // killCancel among others: the caller gave up
	}
	if errors.Is(err, errProtocol) {
		c.kill(killProtocol)
		return fmt.Errorf("sane: the SANE helper process broke the protocol %s: %v: %w", when, err, scan.ErrCommunication)
	}
	return fmt.Errorf("sane: child process died %s: %s%s: %w", when, c.exit(), c.stderr.said(), scan.ErrCommunication)
}

// exit waits for the child to end (killing it if it does not within a
// second: its output already ended) and describes how it ended.
func (c *child) exit() string {
	c.wait(time.Second)
	if c.waitErr == nil {
		return "exit status 0"
	}
	return c.waitErr.Error()
}

func (c *child) send(m *message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stdinClosed {
		return errors.New("the helper's input is closed")
	}
	return writeMessage(c.stdin, m, nil)
}

func (c *child) recv() (message, error) { return readMessage(c.r) }

// kill ends the child at once; the first reason given is kept.
func (c *child) kill(why int32) {
	c.why.CompareAndSwap(killNone, why)
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill() // fails only when it already ended
	}
	// Unblock a read that a grandchild holding the pipe would keep waiting.
	_ = c.stdout.Close()
	c.cancelCmd()
}

// killAfter kills the child with why unless it ended within d.
func (c *child) killAfter(d time.Duration, why int32) *time.Timer {
	return time.AfterFunc(d, func() { c.kill(why) })
}

// wait waits for the child to exit, killing it when it is still there after
// grace. Only the first call waits; later ones return at once.
func (c *child) wait(grace time.Duration) {
	c.waitOnce.Do(func() {
		c.drain()
		done := make(chan error, 1)
		go func() { done <- c.cmd.Wait() }()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case c.waitErr = <-done:
		case <-t.C:
			c.kill(killStuck)
			c.waitErr = <-done
		}
		c.dog.stop()
		c.cancelCmd()
		if c.waitErr != nil {
			c.log.Debug("sane: child ended", "pid", c.cmd.Process.Pid, "err", c.waitErr)
		}
	})
}

// drain reads and drops what the child still writes, so that a child
// stopped in the middle of a frame is not blocked writing to a pipe no one
// reads, and gets to its sane_cancel.
func (c *child) drain() {
	c.drainOnce.Do(func() {
		c.dog.stop()
		go func() { _, _ = io.Copy(io.Discard, c.stdout) }()
	})
}

// finish ends the child's life the polite way: its input is closed, which
// it takes as the end (cancelling a scan still running), and it has grace
// to exit before it is killed.
func (c *child) finish() {
	c.wmu.Lock()
	if !c.stdinClosed {
		c.stdinClosed = true
		_ = c.stdin.Close()
	}
	c.wmu.Unlock()
	c.wait(cancelGrace(c.timeout))
}

// cancelGrace is how long a child has to stop after being told to: the
// time a scanner takes to eject a sheet, within the hang timeout.
func cancelGrace(timeout time.Duration) time.Duration {
	return min(timeout, 10*time.Second)
}

// activity passes reads through, telling the watchdog about each.
type activity struct {
	r   io.Reader
	dog *watchdog
}

func (a activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.dog.touch()
	}
	return n, err
}

// watchdog calls fire when nothing was read for timeout while it was not
// paused. touch, pause and resume are called by the reading goroutine;
// the timer goroutine checks.
type watchdog struct {
	timeout time.Duration
	base    time.Time
	last    atomic.Int64 // time.Since(base) of the last activity, -1 while paused
	stopped atomic.Bool
	fire    func()

	mu sync.Mutex // guards t
	t  *time.Timer
}

func newWatchdog(timeout time.Duration, fire func()) *watchdog {
	w := &watchdog{timeout: timeout, base: time.Now(), fire: fire}
	w.mu.Lock()
	w.t = time.AfterFunc(timeout, w.check)
	w.mu.Unlock()
	return w
}

func (w *watchdog) touch() { w.last.Store(int64(time.Since(w.base))) }

// pause stops counting while the parent is busy with something of its own
// (emit, BeforePage): a slow consumer is not a hung scanner.
func (w *watchdog) pause()  { w.last.Store(-1) }
func (w *watchdog) resume() { w.touch() }

func (w *watchdog) stop() {
	w.stopped.Store(true)
	w.mu.Lock()
	w.t.Stop()
	w.mu.Unlock()
}

func (w *watchdog) check() {
	if w.stopped.Load() {
		return
	}
	next := w.timeout
	if last := w.last.Load(); last >= 0 {
		idle := time.Since(w.base) - time.Duration(last)
		if idle >= w.timeout {
			w.fire()
			return
		}
		next = w.timeout - idle
	}
	w.mu.Lock()
	if !w.stopped.Load() {
		w.t.Reset(next)
	}
	w.mu.Unlock()
}

// tail keeps the end of what the child writes on standard error, for the
// error message when it dies, and logs it line by line at debug level.
type tail struct {
	log  *slog.Logger
	mu   sync.Mutex
	buf  []byte // the last tailSize bytes
	line []byte // the line being written
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(t.line) < tailSize {
				t.line = append(t.line, rest[:min(len(rest), tailSize-len(t.line))]...)
			}
			break
		}
		t.line = append(t.line, rest[:i]...)
		t.log.Debug("sane: child", "stderr", string(t.line))
		t.line = t.line[:0]
		rest = rest[i+1:]
	}
	return len(p), nil
}

// said returns the last lines of standard error as " (it said: …)", or "".
func (t *tail) said() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	s = strings.Join(lines, " / ")
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return " (it said: " + s + ")"
}
