//go:build cgo && !linux

package ocr

// tuneAllocator is needed only with glibc's allocator.
func tuneAllocator() {}

// releaseMemory is needed only with glibc's allocator.
func releaseMemory() {}
