package sane

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/demat-app/demat/scan"
)

// Options configure the Driver.
type Options struct {
	// Command returns the command that runs the child process: a program
	// that calls Serve on its standard input and output. ctx is cancelled
	// only when the Driver kills the child, so exec.CommandContext(ctx, …)
	// is fine. The Driver sets Stdin and Stdout, and Stderr when it is nil.
	Command func(ctx context.Context) *exec.Cmd
	// Timeout is how long the child may stay silent while the Driver waits
	// for it before the device is taken for hung: the child is killed and
	// the call returns scan.ErrOffline. Time spent in emit and BeforePage
	// does not count.
	Timeout time.Duration
	// Logger receives debug events (child started and ended, its standard
	// error line by line).
	Logger *slog.Logger
	// BeforePage, when set, is called before each page of every Scan
	// (page counts from 1, and includes the call that finds the feeder
	// empty); the options it returns are set on the device, as
	// scan.Options.DeviceOptions are, just before that page starts. It
	// lets a caller change settings within a feeder batch, and lets tests
	// inject faults at a given page, such as a jam at page 4 with the
	// test backend's read-return-value=SANE_STATUS_JAMMED. It is called on
	// the goroutine running Scan, so concurrent Scans call it
	// concurrently.
	BeforePage func(page int) []scan.DeviceOption
}

func (o *Options) applyDefaults() {
	if o.Command == nil {
		// The demat binary itself: nothing more to install, and the
		// child always speaks the parent's protocol version.
		o.Command = selfCommand
	}
	if o.Timeout <= 0 {
		// A cold lamp's warm-up and calibration keep older flatbeds
		// silent for up to a minute; twice that and the device is hung.
		o.Timeout = 2 * time.Minute
	}
	if o.Logger == nil {
		// Library code logs only where the program asks it to.
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// selfCommand runs the running executable with ChildArg.
func selfCommand(ctx context.Context) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.CommandContext(ctx, exe, ChildArg)
}

// Driver is the scan.Source for SANE devices. Each call runs in a child
// process of its own (see the package comment); a Driver holds no state
// between calls and may be used by several goroutines at once.
type Driver struct {
	opt Options
}

var _ scan.Source = (*Driver)(nil)

// New returns a Driver.
func New(opt Options) *Driver {
	opt.applyDefaults()
	return &Driver{opt: opt}
}

// idPrefix starts the ID of every SANE device.
const idPrefix = "sane:"

// deviceName returns the SANE device name of a device ID.
func deviceName(dev scan.Device) (string, error) {
	name, ok := strings.CutPrefix(dev.ID, idPrefix)
	if !ok || name == "" {
		return "", fmt.Errorf("sane: %q is not a SANE device ID (they look like sane:test:0): %w", dev.ID, scan.ErrNotFound)
	}
	return name, nil
}

// Devices lists the devices every SANE backend finds, network backends
// included.
func (d *Driver) Devices(ctx context.Context) ([]scan.Device, error) {
	m, err := d.ask(ctx, &message{Type: msgDevices}, "while listing devices")
	if err != nil {
		return nil, err
	}
	if m.Type != msgDevices {
		return nil, fmt.Errorf("sane: %w: %s message instead of devices: %w", errProtocol, m.Type, scan.ErrCommunication)
	}
	out := make([]scan.Device, 0, len(m.Devices))
	for _, di := range m.Devices {
		name := strings.TrimSpace(di.Vendor + " " + di.Model)
		if name == "" {
			name = di.Name
		}
		out = append(out, scan.Device{
			ID: idPrefix + di.Name, Name: name, Vendor: di.Vendor, Model: di.Model, Driver: "sane",
		})
	}
	return out, nil
}

// Caps opens the device and asks each of its paper sources what it can do.
func (d *Driver) Caps(ctx context.Context, dev scan.Device) (scan.Caps, error) {
	name, err := deviceName(dev)
	if err != nil {
		return scan.Caps{}, err
	}
	m, err := d.ask(ctx, &message{Type: msgCaps, Device: name}, "while reading "+name+"'s capabilities")
	if err != nil {
		return scan.Caps{}, err
	}
	if m.Type != msgCaps || m.Caps == nil {
		return scan.Caps{}, fmt.Errorf("sane: %w: %s message instead of caps: %w", errProtocol, m.Type, scan.ErrCommunication)
	}
	return *m.Caps, nil
}

// ask runs one request-answer exchange in a child of its own. A cancelled
// ctx kills the child at once: listing and asking change nothing on a
// device.
func (d *Driver) ask(ctx context.Context, req *message, when string) (message, error) {
	c, err := d.startChild(ctx)
	if err != nil {
		return message{}, err
	}
	defer c.finish()
	stop := context.AfterFunc(ctx, func() { c.kill(killCancel) })
	defer stop()
	if err := c.send(req); err != nil {
		return message{}, c.failure(ctx, err, when)
	}
	m, err := c.recv()
	if err != nil {
		return message{}, c.failure(ctx, err, when)
	}
	if m.Type == msgError && m.Error != nil {
		subject := req.Device
		if subject == "" {
			subject = "listing devices"
		}
		return m, remoteError(m.Error, subject, 0, false)
	}
	return m, nil
}

// Scan runs one job in a child process: the child configures the device,
// then before each page asks the Driver whether to go on (Options.Pages,
// one page on a flatbed) and with which BeforePage options, and streams the
// page's frames, which are decoded here as they arrive and emitted as soon
// as the page is complete. Options.Area zero is the device's whole surface.
//
// A job that ends on a device error returns it after the good pages (a
// jam at page 4 gives pages 1–3, then scan.ErrPaperJam); an empty feeder
// ends a feeder job normally once a page was read. A child that dies gives
// scan.ErrCommunication, one that stays silent for Options.Timeout
// scan.ErrOffline, both after the pages already complete. Cancelling ctx
// tells the child to stop (sane_cancel) and kills it if it has not within
// a few seconds.
func (d *Driver) Scan(ctx context.Context, dev scan.Device, opt scan.Options, emit func(scan.Page) error) error {
	name, err := deviceName(dev)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := d.startChild(ctx)
	if err != nil {
		return err
	}
	defer c.finish()
	// On cancel the child is told to stop, and killed if it has not within
	// the grace period. killer and returned are guarded by c.wmu: a cancel
	// hook still running when Scan returns must not arm a timer.
	var (
		killer   *time.Timer
		returned bool
	)
	stop := context.AfterFunc(ctx, func() {
		_ = c.send(&message{Type: msgCancel})
		c.wmu.Lock()
		if !returned {
			killer = c.killAfter(cancelGrace(d.opt.Timeout), killCancel)
		}
		c.wmu.Unlock()
	})
	defer func() {
		stop()
		c.wmu.Lock()
		returned = true
		if killer != nil {
			killer.Stop()
		}
		c.wmu.Unlock()
	}()

	j := &job{d: d, c: c, name: name, opt: opt, emit: emit}
	return j.run(ctx)
}

// job is one Scan, on the goroutine that called it.
type job struct {
	d     *Driver
	c     *child
	name  string
	opt   scan.Options
	emit  func(scan.Page) error
	job   scan.Options // as the child resolved it
	pages int          // pages emitted
	b     *pageBuilder // the page being received
}

func (j *job) when() string {
	if j.pages == 0 {
		return "before the first page"
	}
	return fmt.Sprintf("after page %d", j.pages)
}

func (j *job) batch() bool { return j.job.Input == scan.Feeder || j.job.Input == scan.Duplex }

func (j *job) run(ctx context.Context) error {
	c := j.c
	if err := c.send(&message{Type: msgScan, Device: j.name, Job: &j.opt}); err != nil {
		return c.failure(ctx, err, j.when())
	}
	for {
		m, err := c.recv()
		if err != nil {
			return c.failure(ctx, err, j.when())
		}
		switch m.Type {
		case msgReady:
			if m.Job == nil {
				return j.broken(ctx, "ready without the job")
			}
			j.job = *m.Job
			j.d.opt.Logger.Debug("sane: scanning", "device", j.name, "input", j.job.Input,
				"mode", j.job.Mode, "resolution", j.job.Resolution)
		case msgNext:
			if err := j.next(ctx, m.Page); err != nil {
				return err
			}
		case msgFrame:
			if j.b == nil || m.Frame == nil {
				return j.broken(ctx, "frame outside a page")
			}
			if err := j.b.beginFrame(*m.Frame); err != nil {
				return fmt.Errorf("sane: %s page %d: %w: %w", j.name, m.Page, err, scan.ErrDevice)
			}
		case msgData:
			if j.b == nil {
				return j.broken(ctx, "data outside a page")
			}
			if err := j.b.readFrom(c.r, m.Len); err != nil {
				return c.failure(ctx, err, j.when())
			}
		case msgFrameEnd:
			if err := j.frameEnd(ctx, m.Page); err != nil {
				return err
			}
		case msgError:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if m.Error == nil {
				return j.broken(ctx, "error without a message")
			}
			return remoteError(m.Error, j.name, j.pages, j.batch())
		case msgEnd:
			return ctx.Err()
		default:
			return j.broken(ctx, m.Type+" message during a scan")
		}
	}
}

// next answers the child's question before page n.
func (j *job) next(ctx context.Context, n int) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n != j.pages+1 {
		return j.broken(ctx, fmt.Sprintf("asks for page %d after page %d", n, j.pages))
	}
	if (!j.batch() && j.pages >= 1) || (j.opt.Pages > 0 && j.pages >= j.opt.Pages) {
		if err := j.c.send(&message{Type: msgStop}); err != nil {
			return j.c.failure(ctx, err, j.when())
		}
		return nil
	}
	var extra []scan.DeviceOption
	if j.d.opt.BeforePage != nil {
		j.c.dog.pause()
		extra = j.d.opt.BeforePage(n)
		j.c.dog.resume()
	}
	j.b = &pageBuilder{}
	if err := j.c.send(&message{Type: msgGo, Options: extra}); err != nil {
		return j.c.failure(ctx, err, j.when())
	}
	return nil
}

// frameEnd closes a frame, and emits the page when it was its last.
func (j *job) frameEnd(ctx context.Context, n int) error {
	b := j.b
	if b == nil || b.frames >= 3 || b.line == nil {
		return j.broken(ctx, "frame end outside a frame")
	}
	if err := b.endFrame(); err != nil {
		return fmt.Errorf("sane: %s page %d: %s: %w", j.name, n, err, scan.ErrDevice)
	}
	if !b.f.Last {
		return nil
	}
	if !b.complete() {
		return fmt.Errorf("sane: %s page %d: the scanner ended a three-pass page without all three colours: %w", j.name, n, scan.ErrDevice)
	}
	p := b.page(fmt.Sprintf("%s page %d", j.name, n))
	if p.XDPI <= 0 || p.YDPI <= 0 {
		p.XDPI, p.YDPI, p.GuessedDPI = float64(j.job.Resolution), float64(j.job.Resolution), true
		p.Warnings = append(p.Warnings, fmt.Sprintf("the scanner did not say its resolution; %d dpi, as asked, assumed", j.job.Resolution))
	}
	j.b = nil
	if ctx.Err() != nil {
		return ctx.Err()
	}
	j.pages++
	j.d.opt.Logger.Debug("sane: page", "device", j.name, "page", n, "width", p.Width, "height", p.Height)
	j.c.dog.pause()
	err := j.emit(p)
	j.c.dog.resume()
	return err
}

// broken reports a child that does not follow the protocol.
func (j *job) broken(ctx context.Context, what string) error {
	return j.c.failure(ctx, fmt.Errorf("%w: %s", errProtocol, what), j.when())
}

// remoteError turns an error the child reported into the driver's error.
// NO_DOCS after a page of a feeder batch is the normal end: nil.
func remoteError(we *wireError, name string, pages int, batch bool) error {
	switch we.Kind {
	case kindNotFound:
		return fmt.Errorf("sane: %s: %w", we.Message, scan.ErrNotFound)
	case kindInvalidOption:
		return fmt.Errorf("sane: %s: %s: %w", name, we.Message, scan.ErrInvalidOption)
	case kindNoSANE:
		return errNoSANE
	}
	if we.Status == 0 {
		return fmt.Errorf("sane: %s: %s", name, we.Message)
	}
	st := status(we.Status)
	if st == statusNoDocs && batch && pages > 0 {
		return nil
	}
	where := name
	if we.Page > 0 {
		where = fmt.Sprintf("%s page %d", name, we.Page)
	}
	return fmt.Errorf("sane: %s: %s: %w", where, we.Message, st.deviceError())
}
