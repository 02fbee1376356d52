package ocr

import (
	"context"
	"errors"
	"sync"
)

// Orientation is what orientation detection found on a page.
type Orientation struct {
	// Turns is the number of quarter turns clockwise that make the page
	// upright (0–3).
	Turns int
	// Confidence is Tesseract's orientation confidence: how far the best
	// orientation's score is ahead of the second. Clean pages of print
	// score 8–35; its mistakes on the corpus turned four ways scored
	// under 1.3; a short Arabic letter read with the smaller sample
	// (see Detect) 1–2.6. 0 means too little text to tell.
	Confidence float64
	// Script is the writing system found ("Latin", "Arabic"…), and
	// ScriptConfidence Tesseract's confidence in it.
	Script           string
	ScriptConfidence float64
}

// OSD detects the orientation of pages with Tesseract's orientation and
// script detection (the osd model, package tesseract-ocr-osd). gosseract
// has no call for it, so OSD drives Tesseract's C API itself, with its own
// handles (separate from an Engine's workers).
//
// Detect is safe for concurrent use: each call takes an idle handle or
// starts one (loading the model takes about 50 ms), and up to Workers
// idle handles are kept for the next pages. Cancelling ctx makes Detect
// return ctx.Err() at once; the detection finishes in the background
// (well under a second). Close frees the idle handles and those still
// running as they finish; Detect after Close fails.
type OSD struct {
	workers int
	wg      sync.WaitGroup

	mu     sync.Mutex // guards idle and closed
	idle   []osdHandle
	closed bool
}

// NewOSD checks that the osd model is installed and prepares a detector
// that keeps up to workers idle handles (at least one).
func NewOSD(workers int) (*OSD, error) {
	if err := checkThreadLimit(); err != nil {
		return nil, err
	}
	if err := CheckLanguages([]string{"osd"}); err != nil {
		return nil, err
	}
	return &OSD{workers: max(1, workers)}, nil
}

// Detect finds the orientation of a page. Tesseract wants 50 characters;
// a page with fewer (Arabic joins its letters, so a short Arabic letter
// has fewer) is tried again on a sample of 15, with lower confidence. A
// page with too little text even for that gives a zero Orientation
// (Confidence 0) and no error: callers keep such a page as it is.
func (o *OSD) Detect(ctx context.Context, img Image) (Orientation, error) {
	if len(img.Data) == 0 {
		return Orientation{}, errors.New("ocr: empty image")
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return Orientation{}, errors.New("ocr: orientation detector closed")
	}
	var h osdHandle
	if n := len(o.idle); n > 0 {
		h, o.idle = o.idle[n-1], o.idle[:n-1]
	}
	o.wg.Add(1)
	o.mu.Unlock()

	type outcome struct {
		or  Orientation
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer o.wg.Done()
		var err error
		if h == nil {
			if h, err = newOSDHandle(); err != nil {
				done <- outcome{err: err}
				return
			}
		}
		or, err := h.detect(img)
		done <- outcome{or, err}
		o.release(h)
	}()
	select {
	case r := <-done:
		return r.or, r.err
	case <-ctx.Done():
		return Orientation{}, ctx.Err()
	}
}

// release keeps a handle for the next page, or frees it.
func (o *OSD) release(h osdHandle) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || len(o.idle) >= o.workers {
		h.free()
		return
	}
	o.idle = append(o.idle, h)
}

// Close waits for running detections and frees every handle.
func (o *OSD) Close() error {
	o.mu.Lock()
	o.closed = true
	idle := o.idle
	o.idle = nil
	o.mu.Unlock()
	for _, h := range idle {
		h.free()
	}
	o.wg.Wait()
	return nil
}

// DetectOrientation detects one page's orientation with a detector made
// for the call: for a batch, keep an OSD instead.
func DetectOrientation(ctx context.Context, img Image) (Orientation, error) {
	o, err := NewOSD(1)
	if err != nil {
		return Orientation{}, err
	}
	defer o.Close()
	return o.Detect(ctx, img)
}
