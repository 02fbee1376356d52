package receipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // photographs of receipts
	_ "image/png"  // scans and renderings
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNoCode is the error of an image in which no QR code could be read.
var ErrNoCode = errors.New("no QR code could be read: take the photograph again, flat, in good light, the code filling a quarter of the picture")

// Decode reads the QR code of an image (a scan or a photograph of a
// receipt; a few degrees of rotation and JPEG noise are fine) and gives
// its text.
func Decode(img image.Image) (string, error) {
	// TRY_HARDER finds codes the plain search misses, and misreads the
	// format of some the plain search reads (gozxing v0.1.1): both.
	hints := []map[gozxing.DecodeHintType]any{nil, {gozxing.DecodeHintType_TRY_HARDER: true}}
	try := func(img image.Image, global bool) (string, bool) {
		src := gozxing.NewLuminanceSourceFromImage(img)
		var bin gozxing.Binarizer = gozxing.NewHybridBinarizer(src)
		if global {
			bin = gozxing.NewGlobalHistgramBinarizer(src)
		}
		bmp, err := gozxing.NewBinaryBitmap(bin)
		if err != nil {
			return "", false
		}
		for _, h := range hints {
			if res, err := qrcode.NewQRCodeReader().Decode(bmp, h); err == nil {
				return res.GetText(), true
			}
		}
		return "", false
	}
	// The local threshold first; a global one reads some photographs
	// with a strong gradient of light the local one does not. gozxing's
	// finder misses some perfectly straight, sharp codes (a receipt
	// rendered at 150 dpi) that it reads turned by 2°, softened, or
	// enlarged: those are tried last, as a camera would have given them.
	for _, attempt := range []struct {
		img    func() image.Image
		global bool
	}{
		{func() image.Image { return img }, false},
		{func() image.Image { return img }, true},
		{func() image.Image { return imaging.Rotate(img, 2, color.White) }, false},
		{func() image.Image { return imaging.Rotate(img, -3, color.White) }, false},
		{func() image.Image { return imaging.Rotate(img, 5, color.White) }, true},
		{func() image.Image { return imaging.Blur(img, 1.5) }, false},
		{func() image.Image { return imaging.Resize(img, img.Bounds().Dx()*3/2, 0, imaging.NearestNeighbor) }, false},
	} {
		if s, ok := try(attempt.img(), attempt.global); ok {
			return s, nil
		}
	}
	return "", ErrNoCode
}

// DecodeFile reads the QR code of a PNG or JPEG file, or of the first
// page of a PDF, which poppler's pdftocairo renders at 200 dpi first.
func DecodeFile(ctx context.Context, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("receipt: %w", err)
	}
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		if data, err = renderPDF(ctx, path); err != nil {
			return "", err
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("receipt: %s: not a PNG, JPEG or PDF: %w", path, err)
	}
	text, err := Decode(img)
	if err != nil {
		return "", fmt.Errorf("receipt: %s: %w", path, err)
	}
	return text, nil
}

// renderPDF renders a PDF's first page as PNG.
func renderPDF(ctx context.Context, path string) ([]byte, error) {
	if _, err := exec.LookPath("pdftocairo"); err != nil {
		return nil, errors.New("receipt: reading a PDF needs poppler's pdftocairo (Debian: poppler-utils): install it, or give a PNG or JPEG")
	}
	dir, err := os.MkdirTemp("", "demat-receipt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "page")
	cmd := exec.CommandContext(ctx, "pdftocairo", "-png", "-r", "200", "-gray", "-f", "1", "-l", "1", "-singlefile", path, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("receipt: render %s: %v: %s", path, err, strings.TrimSpace(string(b)))
	}
	return os.ReadFile(out + ".png")
}
