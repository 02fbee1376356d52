// Package pdf assembles searchable PDFs: each page is its scanned image with
// an invisible text layer on top, placed word by word where OCR found it.
//
// The Writer streams: a page's objects go to the output as soon as the page
// is added, so memory does not grow with the page count. Page images are
// embedded without needless re-encoding (a JPEG stays the same JPEG, a G4
// fax image stays G4, a PNG keeps its compressed pixels). The text layer is
// drawn with a glyphless CID font whose codes are Unicode, exactly as
// Tesseract's own PDF renderer does it, so text extraction, search and
// selection behave the same in every viewer, right-to-left words included.
// Objects are described with pdfcpu's object model; pdfcpu also validates.
//
// It must not sign or upload.
package pdf
