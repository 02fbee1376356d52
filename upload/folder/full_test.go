package folder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/uploadtest"
)

// TestFullDisk delivers onto a 1 MB file system: a document that does
// not fit fails with ErrNoSpace, classed temporary (someone may make
// room), leaving no partial file; once there is room it goes. The file
// system is a tmpfs mounted in a private mount namespace (unshare), so
// the test needs no privilege and changes nothing outside it.
func TestFullDisk(t *testing.T) {
	testenv.OnSmallDisk(t, "1m", fullDisk)
}

func fullDisk(t *testing.T, dir string) {
	tg, err := New(filepath.Join(dir, "depot"))
	if err != nil {
		t.Fatal(err)
	}
	big, data := uploadtest.NewDoc("big", "big.pdf", 2<<20, 1)
	_, err = tg.Put(t.Context(), big, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrNoSpace) || !upload.IsTemporary(err) {
		t.Fatalf("Put of 2 MB on 1 MB: %v; want a temporary ErrNoSpace", err)
	}
	t.Logf("full disk: %v", err)
	ents, _ := os.ReadDir(filepath.Join(dir, "depot"))
	if len(ents) != 0 {
		t.Fatalf("left %d files behind on the full disk", len(ents))
	}
	small, data := uploadtest.NewDoc("small", "small.pdf", 300_000, 2)
	if _, err := tg.Put(t.Context(), small, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put of a document that fits: %v", err)
	}
}
