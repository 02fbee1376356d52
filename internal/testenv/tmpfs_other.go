//go:build !linux

package testenv

import "testing"

// OnSmallDisk needs a private mount namespace, which only Linux has.
func OnSmallDisk(t *testing.T, size string, body func(t *testing.T, dir string)) {
	t.Helper()
	t.Fatal("testenv: OnSmallDisk needs Linux (a tmpfs in a private mount namespace)")
}
