// Package scan is where pages come from: it owns the Page that every source
// delivers and the errors devices share.
//
// Drivers live in sub-packages (scan/file reads image files and image-only
// PDFs); each one turns its own formats and failures into Pages and these
// errors. Pages are delivered through a callback, one at a time, in order:
// the good pages first, then the error that stopped the source, so nothing
// captured before a failure is lost.
//
// It must not import fyne, ocr, pdf or upload.
package scan
