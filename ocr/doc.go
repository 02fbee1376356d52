// Package ocr recognises text on page images.
//
// It owns the Engine (a pool of Tesseract clients through gosseract, one per
// worker), the engine-neutral Result (lines and words with boxes, baselines,
// confidence and writing direction) and the hOCR parser that fills it.
//
// It must not write PDFs or know where images come from: callers hand it an
// encoded image and a resolution, and get a Result back.
//
// Tesseract links OpenMP. Two workers that each let OpenMP spawn threads slow
// each other down several times over, so OMP_THREAD_LIMIT=1 must be in the
// environment before the library loads; EnsureThreadLimit does that by
// re-executing the program once, and main and TestMain call it first.
package ocr
