// Package pipeline turns inputs into one searchable PDF: it reads pages,
// recognises them on a pool of OCR workers and assembles them in order,
// all three at once, and reports progress.
//
// Memory stays flat however many pages there are: at most a fixed window of
// pages is in flight between reading and writing, and each page is written
// out as soon as it and the pages before it are done. The output appears at
// its path only when complete (temporary file, fsync, then a link that
// refuses to replace an existing file unless told to), so a crash or a
// kill never leaves half a PDF where the user expects one.
//
// It must not import fyne: the GUI and the CLI are two faces over it.
package pipeline
