// Package watch is the hot folder: a folder where a multifunction printer
// drops its scans (scan-to-folder, scan-to-SMB), which demat turns into
// documents as they arrive.
//
// A file is taken only once it is complete (its size and time stopped
// changing for a while, and its format says it ended), claimed by an
// atomic rename into a work folder so that two demat instances or a
// restart never take it twice, handed to the caller, then moved aside:
// into done/ when handled, into failed/ with a note saying why when not.
// The original is never deleted.
//
// It must not know about other drivers, OCR or PDF writing: what to make
// of a file is the caller's handler.
package watch
