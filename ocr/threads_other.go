//go:build !unix

package ocr

import "os"

// EnsureThreadLimit sets OMP_THREAD_LIMIT=1. Without exec(2) the process
// cannot restart itself, so on these systems the installer or the shortcut
// must set it too; see the package documentation.
func EnsureThreadLimit() error {
	return os.Setenv("OMP_THREAD_LIMIT", "1")
}
