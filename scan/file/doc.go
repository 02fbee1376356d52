// Package file is the scan source for files and folders: PNG, JPEG, TIFF
// (multi-page, CCITT G4 included) and image-only PDFs.
//
// It reads each file's resolution from its own metadata (falling back to a
// stated default, or a forced value), refuses decompression bombs before
// decoding a pixel, and hands over the original compressed data alongside
// the pixels when a PDF can embed it as it is. Folders are read in natural
// order (page2 before page10), files with other extensions skipped.
//
// It must not know about other drivers, OCR or PDF writing.
package file
