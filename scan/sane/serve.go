package sane

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"time"
)

// ChildArg is the hidden argument that makes the demat binary run Serve
// instead of the application. The default Options.Command starts
// os.Executable() with it; main must call Serve when it is the only
// argument, before anything else.
const ChildArg = "__sane-child"

// Serve is the child process: it drives libsane for the parent Driver,
// reading requests from in and writing answers and pages to out (the
// protocol is described in protocol.go). It returns nil when in reaches
// EOF, which is how the parent ends it. A cancelled ctx stops a running
// scan as a cancel request does, and then Serve returns ctx's error.
//
// Serve is meant to be the whole of its process: it ignores SIGINT (the
// parent tells it when to stop) and SIGPIPE, and when out is os.Stdout it
// moves the process's standard output to its standard error, so that a
// backend printing on stdout cannot corrupt the page stream. In a build
// without cgo or libsane it answers every request with an error saying
// so, and returns that error.
func Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	// Backends need not be thread-safe, and some keep per-thread state:
	// every libsane call of this process is made from this one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// The parent decides when the child stops: a Ctrl-C in the terminal,
	// which reaches the whole process group, must not kill it in the
	// middle of a page. And a backend's helper thread writing to a pipe it
	// just closed (the test backend does on sane_cancel) must get EPIPE,
	// not kill the process with SIGPIPE.
	signal.Ignore(os.Interrupt)
	ignoreSIGPIPE()

	out, err := protectStdout(out)
	if err != nil {
		return fmt.Errorf("sane: child: %w", err)
	}
	s := &server{
		ctx:  ctx,
		w:    bufio.NewWriterSize(out, 64<<10),
		reqs: make(chan message, 4),
		done: make(chan struct{}),
	}
	defer close(s.done)
	defer func() {
		if s.lib != nil {
			s.lib.exit()
		}
	}()
	stop := context.AfterFunc(ctx, func() { s.cancelled.Store(true) })
	defer stop()
	go s.readRequests(in)

	if err := s.send(&message{Type: msgHello, Version: protocolVersion}, nil); err != nil {
		return fmt.Errorf("sane: child: %w", err)
	}
	for {
		var m message
		var ok bool
		select {
		case m, ok = <-s.reqs:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return s.readErr // written before reqs was closed
		}
		if err := s.handle(m); err != nil {
			return err
		}
	}
}

// server is the state of Serve. Everything but cancelled and the reqs
// channel is owned by Serve's goroutine; readRequests owns reading in.
type server struct {
	ctx     context.Context
	w       *bufio.Writer
	lib     library
	libErr  error
	reqs    chan message // every message of the parent, in order; closed at the end of in
	done    chan struct{}
	readErr error // why in ended, when not EOF; read after reqs is closed

	// cancelled is set by a cancel request, the end of in or ctx, and
	// cleared when a scan request is read.
	cancelled atomic.Bool
}

// readRequests reads in until it ends and passes the messages on. A
// cancel also sets the flag at once: a scan checks it between sane_read
// calls, while it is not reading reqs.
func (s *server) readRequests(in io.Reader) {
	defer close(s.reqs)
	defer s.cancelled.Store(true) // the parent is gone: stop whatever runs
	for {
		m, err := readMessage(in)
		if err != nil {
			if err != io.EOF {
				s.readErr = fmt.Errorf("sane: child: read request: %w", err)
			}
			return
		}
		if m.Len > 0 {
			s.readErr = fmt.Errorf("sane: child: %w: request with data", errProtocol)
			return
		}
		switch m.Type {
		case msgCancel:
			s.cancelled.Store(true)
		case msgScan:
			s.cancelled.Store(false)
		}
		select {
		case s.reqs <- m:
		case <-s.done:
			return
		}
	}
}

func (s *server) send(m *message, data []byte) error {
	if err := writeMessage(s.w, m, data); err != nil {
		return err
	}
	return s.w.Flush()
}

// sendError answers with err, classified for the parent.
func (s *server) sendError(err error, page int) error {
	we := &wireError{Message: err.Error(), Page: page}
	var st status
	var k *wireErr
	switch {
	case errors.As(err, &st):
		we.Status = int(st)
	case errors.As(err, &k):
		we.Kind = k.kind
	case isOptionError(err):
		we.Kind = kindInvalidOption
	case errors.Is(err, errNoSANE):
		we.Kind = kindNoSANE
	}
	return s.send(&message{Type: msgError, Error: we}, nil)
}

// library starts libsane on first use, so that a child that only says
// hello (a parent checking the wiring) does not probe every backend.
func (s *server) library() (library, error) {
	if s.lib == nil && s.libErr == nil {
		s.lib, s.libErr = openLibrary()
	}
	return s.lib, s.libErr
}

// handle answers one request. It returns an error only when the child
// cannot go on (the parent is unreachable, or there is no libsane).
func (s *server) handle(m message) error {
	switch m.Type {
	case msgDevices, msgCaps, msgScan:
	case msgGo, msgStop, msgCancel:
		return nil // late words about a scan that already ended
	default:
		return s.sendError(fmt.Errorf("sane: child: unknown request %q", m.Type), 0)
	}
	lib, err := s.library()
	if err != nil {
		if serr := s.sendError(err, 0); serr != nil {
			return serr
		}
		return err
	}
	switch m.Type {
	case msgDevices:
		devs, err := lib.devices()
		if err != nil {
			return s.sendError(fmt.Errorf("list devices: %w", err), 0)
		}
		return s.send(&message{Type: msgDevices, Devices: devs}, nil)
	case msgCaps:
		dv, closeDev, err := s.open(lib, m.Device)
		if err != nil {
			return s.sendError(err, 0)
		}
		defer closeDev()
		caps, err := dv.caps()
		if err != nil {
			return s.sendError(err, 0)
		}
		return s.send(&message{Type: msgCaps, Caps: &caps}, nil)
	default:
		return s.scan(lib, m)
	}
}

// open opens a device; sane_open's INVAL means no such device.
func (s *server) open(lib library, name string) (*device, func(), error) {
	h, err := lib.open(name)
	if err != nil {
		if errors.Is(err, statusInval) {
			return nil, nil, &wireErr{kindNotFound, fmt.Errorf("no SANE device %q", name)}
		}
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	dv, err := newDevice(h)
	if err != nil {
		h.close()
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	return dv, h.close, nil
}

// wireErr gives an error a kind for the parent.
type wireErr struct {
	kind string
	err  error
}

func (e *wireErr) Error() string { return e.err.Error() }
func (e *wireErr) Unwrap() error { return e.err }

// errStopped ends a scan the parent asked to end (stop).
var errStopped = errors.New("stopped")

// scan runs one scan job: configure, then page after page as long as the
// parent says go, each page read frame by frame and streamed as it comes.
// sane_cancel ends every job, whatever ended it.
func (s *server) scan(lib library, m message) error {
	if m.Job == nil {
		return s.sendError(fmt.Errorf("sane: child: scan request without a job"), 0)
	}
	dv, closeDev, err := s.open(lib, m.Device)
	if err != nil {
		return s.sendError(err, 0)
	}
	defer closeDev()
	defer dv.h.cancel()

	job, err := dv.configure(*m.Job)
	if err != nil {
		return s.sendError(err, 0)
	}
	job.DeviceOptions = nil
	if err := s.send(&message{Type: msgReady, Job: &job}, nil); err != nil {
		return err
	}
	buf := make([]byte, 256<<10)
	for page := 1; ; page++ {
		err := s.page(dv, page, buf)
		switch {
		case err == nil:
			continue
		case errors.Is(err, errStopped):
			// The parent hears first: a backend can hang in
			// sane_cancel (the test backend's reader thread, stuck
			// writing a page nobody reads), and then the job is
			// already settled and only the child is stuck, which the
			// parent kills.
			serr := s.send(&message{Type: msgEnd}, nil)
			dv.h.cancel()
			return serr
		case errors.As(err, new(sendFailed)):
			return err
		}
		serr := s.sendError(err, page)
		dv.h.cancel()
		return serr
	}
}

// sendFailed marks a failure to write to the parent, which ends the child.
type sendFailed struct{ error }

func (e sendFailed) Unwrap() error { return e.error }

// page asks the parent whether to scan page n, and scans it.
func (s *server) page(dv *device, n int, buf []byte) error {
	if err := s.send(&message{Type: msgNext, Page: n}, nil); err != nil {
		return sendFailed{err}
	}
	var reply message
	select {
	case reply = <-s.reqs:
	case <-s.ctx.Done():
	}
	switch {
	case s.cancelled.Load(), reply.Type == msgCancel, reply.Type == "":
		return statusCancelled // asked to, or the parent is gone
	case reply.Type != msgGo && reply.Type != msgStop:
		return fmt.Errorf("sane: child: %s request in the middle of a scan", reply.Type)
	}
	if reply.Type == msgStop {
		return errStopped
	}
	for _, o := range reply.Options {
		if err := dv.set(o.Name, o.Value); err != nil {
			return err
		}
	}
	// Read before sane_start: some backends (the test one) refuse any
	// option access while scanning.
	xdpi, ydpi := dv.resolutionSet()
	for {
		if err := dv.h.start(); err != nil {
			return err
		}
		f, err := dv.h.parameters()
		if err != nil {
			return err
		}
		f.XDPI, f.YDPI = xdpi, ydpi
		if err := s.send(&message{Type: msgFrame, Page: n, Frame: &f}, nil); err != nil {
			return sendFailed{err}
		}
		if err := s.frame(dv, buf); err != nil {
			return err
		}
		if err := s.send(&message{Type: msgFrameEnd, Page: n}, nil); err != nil {
			return sendFailed{err}
		}
		if f.Last {
			return nil
		}
	}
}

// flushEvery bounds how long bytes read wait in the buffer, so that the
// parent sees a slow scanner progress and does not take it for hung.
const flushEvery = time.Second

// frame streams one frame: sane_read until EOF, in chunks of buf.
func (s *server) frame(dv *device, buf []byte) error {
	fill := 0
	last := time.Now()
	flush := func() error {
		if fill == 0 {
			return nil
		}
		if err := s.send(&message{Type: msgData}, buf[:fill]); err != nil {
			return sendFailed{err}
		}
		fill, last = 0, time.Now()
		return nil
	}
	for {
		if s.cancelled.Load() {
			return statusCancelled
		}
		n, err := dv.h.read(buf[fill:])
		fill += n
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return err
		}
		if fill == len(buf) || time.Since(last) >= flushEvery {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
