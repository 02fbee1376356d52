//go:build cgo

package ocr

/*
#cgo LDFLAGS: -lleptonica -ltesseract
#include <stdlib.h>
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>

// demat_osd runs orientation and script detection on an encoded image.
// It returns 1 when Tesseract could tell, 0 when the page had too little
// text, -1 when the image could not be read.
static int demat_osd(TessBaseAPI *api, const unsigned char *data, size_t size, int dpi,
                     int *deg, float *conf, const char **script, float *sconf) {
	// Leptonica prints an error for data it cannot read: ask first.
	l_int32 format = IFF_UNKNOWN;
	if (size < 12 || findFileFormatBuffer(data, &format) != 0 || format == IFF_UNKNOWN) {
		return -1;
	}
	PIX *pix = pixReadMem(data, size);
	if (pix == NULL) {
		return -1;
	}
	TessBaseAPISetImage2(api, pix);
	if (dpi > 0) {
		TessBaseAPISetSourceResolution(api, dpi);
	}
	int ok = TessBaseAPIDetectOrientationScript(api, deg, conf, script, sconf);
	if (!ok) {
		// Tesseract refuses pages with fewer than 50 characters;
		// Arabic joins its letters, so a short Arabic letter has
		// fewer. Samples of 15 still tell 0° from 180° (with lower
		// confidence).
		TessBaseAPISetVariable(api, "min_characters_to_try", "15");
		ok = TessBaseAPIDetectOrientationScript(api, deg, conf, script, sconf);
		TessBaseAPISetVariable(api, "min_characters_to_try", "50");
	}
	TessBaseAPIClear(api);
	pixDestroy(&pix);
	return ok ? 1 : 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// osdHandle is a Tesseract instance loaded with the osd model, used by
// one goroutine at a time.
type osdHandle = *osdAPI

type osdAPI struct{ api *C.TessBaseAPI }

func newOSDHandle() (osdHandle, error) {
	tuneAllocator()
	api := C.TessBaseAPICreate()
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(api, nil, lang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, errors.New("ocr: cannot load Tesseract's osd model: run make deps, or apt-get install tesseract-ocr-osd")
	}
	for k, v := range map[string]string{
		// Keep "Too few characters. Skipping this page" and the like
		// off the user's terminal.
		"debug_file": os.DevNull,
	} {
		ck, cv := C.CString(k), C.CString(v)
		C.TessBaseAPISetVariable(api, ck, cv)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
	}
	C.TessBaseAPISetPageSegMode(api, C.PSM_OSD_ONLY)
	return &osdAPI{api: api}, nil
}

func (h *osdAPI) detect(img Image) (Orientation, error) {
	var (
		deg         C.int
		conf, sconf C.float
		script      *C.char
		data        = C.CBytes(img.Data)
		dpi         = C.int(max(0, int(img.DPI+0.5)))
		or          Orientation
	)
	defer C.free(data)
	switch C.demat_osd(h.api, (*C.uchar)(data), C.size_t(len(img.Data)), dpi, &deg, &conf, &script, &sconf) {
	case -1:
		return Orientation{}, errors.New("ocr: orientation detection: cannot read the image")
	case 0:
		return Orientation{}, nil
	}
	// Tesseract gives the page's rotation counter-clockwise; the fix is
	// the same angle clockwise the other way round. The script name
	// points into the model's tables: copied, never freed.
	d := int(deg)
	if d%90 != 0 || d < 0 || d >= 360 {
		return Orientation{}, fmt.Errorf("ocr: orientation detection gave %d°", d)
	}
	or.Turns = (4 - d/90) % 4
	or.Confidence = float64(conf)
	if script != nil {
		or.Script = C.GoString(script)
	}
	or.ScriptConfidence = float64(sconf)
	return or, nil
}

func (h *osdAPI) free() {
	C.TessBaseAPIEnd(h.api)
	C.TessBaseAPIDelete(h.api)
}
