package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

func TestMain(m *testing.M) { testenv.Main(m, ocr.EnsureThreadLimit) }

func TestMakePDF(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	// The real pipeline, held until the test has looked at the window
	// while the job runs.
	release := make(chan struct{})
	v := NewView(w, func(ctx context.Context, in []string, out string, opt pipeline.Options) (*pipeline.Result, error) {
		<-release
		return pipeline.Process(ctx, in, out, opt)
	}, nil)
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
	close(release)
	v.Wait()
	if s := v.Status(); !strings.HasPrefix(s, "Saved") || !strings.Contains(s, "1 pages") {
		t.Fatalf("status %q", s)
	}
	if !strings.Contains(testenv.PDFText(t, out), "lazy fox") {
		t.Error("the PDF has no text")
	}
	if v.run.Disabled() || !v.cancel.Disabled() {
		t.Error("after the run, Make PDF should be enabled again and Cancel disabled")
	}
}

func TestCancel(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	started := make(chan struct{})
	v := NewView(w, func(ctx context.Context, in []string, out string, opt pipeline.Options) (*pipeline.Result, error) {
		close(started)
		<-ctx.Done() // the real pipeline stops on cancel with this error
		return pipeline.Process(ctx, in, out, opt)
	}, nil)
	v.AddFiles(testenv.Testdata("phototest.tif"))
	out := filepath.Join(t.TempDir(), "out.pdf")
	v.Start(out, false)
	<-started
	v.Cancel()
	v.Wait()
	if s := v.Status(); !strings.HasPrefix(s, "Cancelled") {
		t.Errorf("status %q after Cancel", s)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a cancelled job wrote its output")
	}
	if v.run.Disabled() || !v.cancel.Disabled() {
		t.Error("after Cancel, Make PDF should be enabled again and Cancel disabled")
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
