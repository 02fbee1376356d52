// Package sign signs PDFs with PAdES baseline signatures (ETSI EN 319 142-1,
// levels B-B and, with a timestamp authority, B-T) and verifies signed PDFs.
//
// It owns the whole signature: the incremental update that adds the
// signature field, its widget and the signature dictionary (never
// rewriting a byte of the original file, so a PDF/A stays PDF/A and
// earlier signatures stay valid); the widget is invisible, or shows a
// signature block (Appearance) drawn here as vector graphics and one
// grey image of its text, shaped with go-text/typesetting in the Noto
// fonts of package assets, so that no font is embedded and the page's
// text is unchanged; the CMS SignedData (built here with
// encoding/asn1: content-type, message-digest and ESS
// signing-certificate-v2 signed, no signing-time, as PAdES asks), the
// RFC 3161 timestamp over the signature value, and the verification of all
// of it, including what later incremental updates changed.
//
// It takes a crypto.Signer and its certificates, wherever the key lives
// (upload/sign/keys reads PKCS#12 files and PKCS#11 tokens); it must not
// read keys, ask for PINs or passwords, or touch the keyring itself: the
// caller passes the TSA password it fetched from the keyring.
//
// pdfcpu reads the input's object graph; everything written is written
// here, byte by byte, so the byte range and the placeholder are exact.
package sign
