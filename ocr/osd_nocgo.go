//go:build !cgo

package ocr

import "errors"

var errNoCgo = errors.New("ocr: this demat was built without cgo, so without Tesseract: rebuild with CGO_ENABLED=1")

// osdHandle stands in for a Tesseract instance; this build has none.
type osdHandle = *osdAPI

type osdAPI struct{}

func newOSDHandle() (osdHandle, error) { return nil, errNoCgo }

func (h *osdAPI) detect(Image) (Orientation, error) { return Orientation{}, errNoCgo }

func (h *osdAPI) free() {}

// checkThreadLimit has nothing to check without Tesseract.
func checkThreadLimit() error { return nil }
