package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

func TestMain(m *testing.M) {
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// waitStatus polls the status line until it starts with prefix.
func waitStatus(t *testing.T, v *View, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		s := v.Status()
		if strings.HasPrefix(s, prefix) {
			return s
		}
		if strings.HasPrefix(s, "Failed") {
			t.Fatalf("status %q", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("status %q never started with %q", v.Status(), prefix)
	return ""
}

func TestMakePDF(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := NewView(w, pipeline.Process, nil)
	if !v.run.Disabled() {
		t.Error("Make PDF is enabled with no pages")
	}
	v.AddFiles(testenv.Testdata("phototest.tif"))
	if v.run.Disabled() || v.list.Length() != 1 {
		t.Fatal("adding a page did not enable Make PDF")
	}
	v.langs.SetText("eng")
	out := filepath.Join(t.TempDir(), "out.pdf")
	v.Start(out, false)
	if !v.run.Disabled() || v.cancel.Disabled() {
		t.Error("while running, Make PDF should be disabled and Cancel enabled")
	}
	s := waitStatus(t, v, "Saved")
	if !strings.Contains(s, "1 pages") {
		t.Errorf("status %q", s)
	}
	if !strings.Contains(testenv.PDFText(t, out), "lazy fox") {
		t.Error("the PDF has no text")
	}
	if v.run.Disabled() || !v.cancel.Disabled() {
		t.Error("after the run, Make PDF should be enabled again and Cancel disabled")
	}
}

func TestDrop(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := NewView(w, pipeline.Process, nil)
	v.Drop([]fyne.URI{storage.NewFileURI(testenv.Testdata("phototest.tif")), storage.NewFileURI(testenv.Testdata("multipage-g4.tif"))})
	if v.list.Length() != 2 || v.run.Disabled() {
		t.Errorf("%d files listed after a drop of 2", v.list.Length())
	}
}

func TestBadLanguage(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := NewView(w, func(context.Context, []string, string, pipeline.Options) (*pipeline.Result, error) {
		t.Error("the pipeline ran with a bad language list")
		return nil, nil
	}, nil)
	v.AddFiles(testenv.Testdata("phototest.tif"))
	v.langs.SetText("fra;rm")
	v.Start(filepath.Join(t.TempDir(), "x.pdf"), false)
	if !strings.Contains(v.Status(), "not a language code") {
		t.Errorf("status %q", v.Status())
	}
}
