//go:build linux

package sftp

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/uploadtest"
)

// TestFullDisk delivers through the real sshd onto a 1 MB file system:
// a document that does not fit fails with ErrNoSpace, classed temporary,
// leaving no partial file; one that fits goes. SFTP has no "disk full"
// status (OpenSSH answers SSH_FX_FAILURE), so this checks the target's
// statvfs@openssh.com inquiry. The tmpfs is mounted in a private mount
// namespace (unshare) that sshd is started in, so nothing outside the
// test changes.
func TestFullDisk(t *testing.T) {
	testenv.OnSmallDisk(t, "1m", fullDisk)
}

func fullDisk(t *testing.T, dir string) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	depot := filepath.Join(dir, "depot")
	tg := target(t, s, Options{Base: depot})
	big, data := uploadtest.NewDoc("big", "big.pdf", 2<<20, 1)
	_, err := tg.Put(ctx(t), big, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrNoSpace) || !upload.IsTemporary(err) {
		t.Fatalf("Put of 2 MB on 1 MB: %v; want a temporary ErrNoSpace", err)
	}
	t.Logf("full disk: %v", err)
	if got := testenv.Files(t, depot); len(got) != 0 {
		t.Fatalf("left %v behind on the full disk", keys(got))
	}
	small, data := uploadtest.NewDoc("small", "small.pdf", 300_000, 2)
	if _, err := tg.Put(ctx(t), small, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put of a document that fits: %v", err)
	}
	if got := testenv.Files(t, depot); len(got) != 1 || !bytes.Equal(got["small.pdf"], data) {
		t.Fatalf("the destination holds %v", keys(got))
	}
}
