package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// OnSmallDisk runs body with dir on a tmpfs of the given size ("1m"):
// the test runs again in a child process inside a private mount
// namespace (unshare), where the tmpfs is mounted, so it needs no
// privilege and changes nothing outside. Servers body starts see the
// same small disk. For top-level tests only (the child selects the test
// by name).
func OnSmallDisk(t *testing.T, size string, body func(t *testing.T, dir string)) {
	t.Helper()
	if dir := os.Getenv("DEMAT_SMALLDISK_DIR"); dir != "" && os.Getenv("DEMAT_SMALLDISK_TEST") == t.Name() {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
			t.Fatalf("mount a %s tmpfs: %v", size, err)
		}
		body(t, dir)
		return
	}
	Require(t, "unshare")
	args := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append([]string{"--map-root-user"}, args...)
	}
	dir := t.TempDir()
	cmd := exec.Command("unshare", append(args, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")...)
	cmd.Env = append(os.Environ(), "DEMAT_SMALLDISK_DIR="+dir, "DEMAT_SMALLDISK_TEST="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on a %s disk: %v\n%s", size, err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("the test did not run in its namespace:\n%s", out)
	}
	t.Logf("%s", out)
}
