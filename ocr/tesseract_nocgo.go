//go:build !cgo

package ocr

import "errors"

// NewTesseract needs cgo: this build has none.
func NewTesseract(opt Options) (Engine, error) {
	return nil, errors.New("ocr: this demat was built without cgo, so without Tesseract: rebuild with CGO_ENABLED=1")
}

// CheckLanguages needs cgo: this build has none.
func CheckLanguages(langs []string) error {
	return errors.New("ocr: this demat was built without cgo, so without Tesseract: rebuild with CGO_ENABLED=1")
}
