// Package separate finds what cuts a feeder batch into documents:
// separator sheets (a QR code or a Code 128 anywhere on the page, upright
// or upside down, or a Kodak Patch T sheet), blank pages, and the rules
// that tell a separator's code from an ordinary document's barcode and
// turn its value into metadata fields.
//
// Detection works on a copy of the page reduced to about 100 dpi (an A4
// page is a million pixels) and tries harder, at full resolution, only
// on a page where a code was seen but not read. It reads pixels and
// strings; it does no I/O and must not import ocr, pdf or upload.
package separate
