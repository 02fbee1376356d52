package folder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/uploadtest"
)

func TestConformance(t *testing.T) {
	uploadtest.Run(t, uploadtest.Harness{New: func(t *testing.T) uploadtest.Destination {
		root := filepath.Join(t.TempDir(), "depot")
		tg, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		return uploadtest.Destination{Target: tg, List: func(t *testing.T) map[string][]byte { return testenv.Files(t, root) }}
	}})
}

func TestOutsideRoot(t *testing.T) {
	tg, _ := New(t.TempDir())
	for _, name := range []string{"../x.pdf", "a/../../x.pdf", ".", ""} {
		doc, data := uploadtest.NewDoc("o1", name, 10, 1)
		if _, err := tg.Put(t.Context(), doc, uploadtest.NewBody(data).Open); err == nil || upload.IsTemporary(err) {
			t.Errorf("Put %q: %v, want a permanent refusal", name, err)
		}
	}
}

func TestNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: use a read-only bind the kernel enforces.
		root := t.TempDir()
		tg, _ := New(filepath.Join(root, "file-not-folder", "x"))
		os.WriteFile(filepath.Join(root, "file-not-folder"), []byte("x"), 0o644)
		doc, data := uploadtest.NewDoc("w1", "a.pdf", 10, 1)
		if _, err := tg.Put(t.Context(), doc, uploadtest.NewBody(data).Open); err == nil {
			t.Error("Put under a file succeeded")
		}
		return
	}
	root := t.TempDir()
	os.Chmod(root, 0o555)
	tg, _ := New(root)
	doc, data := uploadtest.NewDoc("w1", "a.pdf", 10, 1)
	_, err := tg.Put(t.Context(), doc, uploadtest.NewBody(data).Open)
	if err == nil || upload.IsTemporary(err) {
		t.Errorf("Put into a read-only folder: %v, want a permanent error", err)
	}
}
