//go:build cgo && linux

package ocr

/*
#include <features.h>
#ifdef __GLIBC__
#include <malloc.h>
static void demat_trim(void) { malloc_trim(0); }
#else
static void demat_trim(void) {}
#endif
*/
import "C"

// releaseMemory hands the C heap that Tesseract freed after a page back to
// the system. glibc keeps it in per-thread arenas otherwise, and a long
// batch's resident memory creeps up page after page.
func releaseMemory() { C.demat_trim() }
