// Package receipt makes the depositor's receipt (récépissé de dépôt) of a
// registered item and checks it: the signed payload its QR code carries
// (Payload, Sign, Parse, Verify), the receipt's page, A4, A5 or an
// 80 mm receipt-printer strip, in French, Arabic or English (Write,
// a PDF/A-2b), and the reading of the QR code back from a scan or a
// photograph (Decode).
//
// The payload is signed by the registry desk's key so that anyone holding
// the desk's certificate can check a receipt offline; the certificate is
// too big for a QR code, so the payload names it by its fingerprint and
// the verifier brings it (a file, the configuration, or the copy the
// desk keeps, see Store).
//
// It must not read keys or ask for PINs (the caller passes a
// crypto.Signer), nor open the register: the caller compares what a
// payload says with the register's entry.
package receipt
