//go:build cgo

package ocr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otiai10/gosseract/v2"
)

// recycleAfter bounds how many pages one Tesseract client recognises before
// it is replaced: gosseract never frees the hOCR string Tesseract returns,
// so a long batch would otherwise grow by one page of hOCR per page.
const recycleAfter = 200

// Tesseract is an Engine over gosseract: one client per worker, each used by
// one goroutine at a time (the pool channel owns idle clients).
type Tesseract struct {
	opt  Options
	pool chan *client
	wg   sync.WaitGroup // running recognitions

	mu     sync.Mutex
	closed bool
}

type client struct {
	c     *gosseract.Client
	pages int
}

var _ Engine = (*Tesseract)(nil)

// NewTesseract checks that every language is installed and starts the
// workers' clients (loading the models once per worker).
func NewTesseract(opt Options) (*Tesseract, error) {
	opt.applyDefaults()
	if err := checkThreadLimit(); err != nil {
		return nil, err
	}
	if err := CheckLanguages(opt.Languages); err != nil {
		return nil, err
	}
	tuneAllocator()
	t := &Tesseract{opt: opt, pool: make(chan *client, opt.Workers)}
	for i := 0; i < opt.Workers; i++ {
		c, err := t.newClient()
		if err != nil {
			t.Close()
			return nil, err
		}
		t.pool <- c
	}
	return t, nil
}

func (t *Tesseract) newClient() (*client, error) {
	c := gosseract.NewClient()
	c.Trim = false
	if err := c.SetLanguage(t.opt.Languages...); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: %w", err)
	}
	// Tesseract's progress notes ("Estimating resolution as 300") would
	// otherwise land on the user's terminal.
	if err := c.SetVariable("debug_file", os.DevNull); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: %w", err)
	}
	// The library defaults to one uniform block of text; whole pages need
	// the automatic layout analysis the tesseract command uses. Set as a
	// variable: gosseract applies those after Init, which resets the mode.
	if err := c.SetVariable("tessedit_pageseg_mode", strconv.Itoa(int(gosseract.PSM_AUTO))); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: %w", err)
	}
	if err := start(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("ocr: %w", err)
	}
	return &client{c: c}, nil
}

// startMu makes Tesseract clients start one at a time. gosseract points
// the process's standard error at /dev/null while a client starts (to
// catch Tesseract's messages) and restores what it saw before: two clients
// starting at once restore each other's /dev/null, and every message the
// program writes after that is lost.
var startMu sync.Mutex

// start loads a client's models now, on a blank image, rather than on its
// first page, which may come while another client starts.
func start(c *gosseract.Client) error {
	startMu.Lock()
	defer startMu.Unlock()
	if err := c.SetImageFromBytes(emptyPNM); err != nil {
		return err
	}
	_, err := c.Text()
	return err
}

// CheckLanguages reports languages whose Tesseract model is not installed,
// with the package to install.
func CheckLanguages(langs []string) error {
	avail, err := gosseract.GetAvailableLanguages()
	if err != nil {
		return fmt.Errorf("ocr: cannot list Tesseract languages (%v): run make deps, or install tesseract-ocr", err)
	}
	var missing []string
	for _, l := range langs {
		if !slices.Contains(avail, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		pkgs := ""
		for _, l := range missing {
			pkgs += " tesseract-ocr-" + l
		}
		return fmt.Errorf("ocr: Tesseract language %s not installed (installed: %s): run make deps, or apt-get install%s",
			strings.Join(missing, ", "), strings.Join(avail, ", "), pkgs)
	}
	return nil
}

// Recognize implements Engine.
func (t *Tesseract) Recognize(ctx context.Context, img Image) (*Result, error) {
	if len(img.Data) == 0 {
		return nil, errors.New("ocr: empty image")
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, errors.New("ocr: engine closed")
	}
	t.wg.Add(1)
	t.mu.Unlock()

	var c *client
	select {
	case c = <-t.pool:
	case <-ctx.Done():
		t.wg.Done()
		return nil, ctx.Err()
	}

	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer t.wg.Done()
		res, err := t.recognize(c, img)
		done <- outcome{res, err}
		t.release(c)
	}()

	timer := time.NewTimer(t.opt.PageTimeout)
	defer timer.Stop()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, ErrTimeout
	}
}

func (t *Tesseract) recognize(c *client, img Image) (*Result, error) {
	c.pages++
	if err := c.c.SetImageFromBytes(img.Data); err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	// 0 clears a resolution set for an earlier page.
	dpi := max(int(img.DPI+0.5), 0)
	if err := c.c.SetVariable("user_defined_dpi", strconv.Itoa(dpi)); err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	h, err := c.c.HOCRText()
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	// Recognition is done with this page: free its image now, not when the
	// next page replaces it.
	c.c.SetImageFromBytes(emptyPNM)
	if c.pages%trimEvery == 0 {
		releaseMemory()
	}
	res, err := ParseHOCR([]byte(h))
	if err != nil {
		return nil, err
	}
	if dpi > 0 || res.DPI <= 0 {
		res.DPI = float64(dpi)
	}
	return res, nil
}

// trimEvery is how many pages a client recognises between two trims of
// the C heap (see releaseMemory).
const trimEvery = 8

// emptyPNM is a 1×1 white image that replaces a finished page in a client.
var emptyPNM = []byte("P5\n1 1\n255\n\xff")

// release gives a client back to the pool, replacing it once it has done
// recycleAfter pages.
func (t *Tesseract) release(c *client) {
	if c.pages >= recycleAfter {
		if n, err := t.newClient(); err == nil {
			c.c.Close()
			c = n
		}
	}
	t.pool <- c
}

// Close implements Engine.
func (t *Tesseract) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
	for {
		select {
		case c := <-t.pool:
			c.c.Close()
		default:
			return nil
		}
	}
}

// checkThreadLimit refuses to start when OpenMP threading is on: see the
// package documentation.
func checkThreadLimit() error {
	if os.Getenv("OMP_THREAD_LIMIT") != "1" {
		return errors.New("ocr: OMP_THREAD_LIMIT=1 is not set: call ocr.EnsureThreadLimit at the start of main (or set it in the environment)")
	}
	return nil
}
