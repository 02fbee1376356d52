// Package stamp makes the arrival stamp (cachet d'arrivée) a registered
// document carries on its first page: the registration number, the date
// and time received, the service and a QR code (Payload), in French,
// Arabic or English, drawn as vector paths in a stamp pad's blue
// (pdf.Overlay) with its words in the page's text layer; and it finds
// where on the page the stamp covers no text (Find), from the words OCR
// found and the page image's ink (Ink), the top-right corner first.
//
// The stamp goes into the PDF as it is written, before any signature,
// so the signature covers it. It must not write PDFs (package pdf
// writes the overlay), open the register or read the configuration: the
// caller gives what the stamp says.
package stamp
