//go:build cgo && !linux

package ocr

// releaseMemory is needed only with glibc's allocator.
func releaseMemory() {}
