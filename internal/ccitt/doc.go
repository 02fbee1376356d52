// Package ccitt encodes bi-level page images as CCITT Group 4 (ITU-T T.6,
// "MMR") data: the compression a PDF image XObject takes with the
// /CCITTFaxDecode filter and << /K -1 >>, which keeps a black-and-white
// 300 dpi page at a few tens of kilobytes where Flate needs several times
// that, and which every PDF reader decodes.
//
// It owns the encoder only. Decoding is golang.org/x/image/ccitt's job (the
// tests use it, with poppler's pdfimages as an independent check), and
// writing the PDF objects around the data is package pdf's.
//
// The output is the plain T.6 stream those decode parameters describe: an
// imaginary white line above the first row, no byte alignment of rows, and
// the end-of-facsimile-block (two EOL codes) at the end, padded with zero
// bits to a whole byte. Changing elements are found a 64-bit word at a
// time, so white margins and blank lines cost almost nothing: an A4 page
// at 300 dpi encodes in about 1 ms on one core (4 ms for one filled with
// small print), to a fiftieth of its packed size for a typical letter.
//
// Everything here is a pure function of its arguments: the package does no
// I/O, starts no goroutine and never modifies the image it is given.
package ccitt
