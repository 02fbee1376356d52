//go:build cgo && linux

package ocr

/*
#include <features.h>
#ifdef __GLIBC__
#include <malloc.h>
static void demat_mmap_threshold(int n) { mallopt(M_MMAP_THRESHOLD, n); }
static void demat_trim(void) { malloc_trim(0); }
#else
static void demat_mmap_threshold(int n) {}
static void demat_trim(void) {}
#endif
*/
import "C"

import "sync"

var tuneOnce sync.Once

// tuneAllocator fixes glibc's mmap threshold at 32 MiB. glibc starts it at
// 128 KiB and raises it, up to 32 MiB, each time a large mapped block is
// freed: the first pages' image buffers are mapped and given back, later
// ones stay in the heap. A batch's memory then climbs for a few pages
// before it levels off. Fixed at the ceiling, it is level from the first
// page. (A lower fixed value keeps less memory but costs throughput with
// two workers: every unmap interrupts the other core.)
func tuneAllocator() { tuneOnce.Do(func() { C.demat_mmap_threshold(32 << 20) }) }

// releaseMemory gives the heap memory Tesseract freed back to the system.
// Pages leave the heap fragmented, and over a long batch the freed but
// kept memory grows by a few megabytes a page; trimming now and then keeps
// it level. It briefly locks every arena, so it is not done after every
// page.
func releaseMemory() { C.demat_trim() }
