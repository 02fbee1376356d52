package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/demat-app/demat/internal/filelock"
	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
)

func TestMain(m *testing.M) { testenv.Main(m, ocr.EnsureThreadLimit) }

// noLeftovers fails when dir holds anything but the names given.
func noLeftovers(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

func TestProcess(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	side := filepath.Join(dir, "out.txt")
	var events []pipeline.Event
	res, err := pipeline.Process(context.Background(),
		[]string{testenv.Testdata("phototest.tif"), testenv.Testdata("multipage-g4.tif"), testenv.Testdata("letter-fr-ar.png")},
		out, pipeline.Options{Languages: []string{"eng", "fra", "ara"}, Jobs: 2, Sidecar: side, Progress: func(e pipeline.Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 4 || res.Words < 150 {
		t.Errorf("result = %+v, want 4 pages and their words", res)
	}
	pdftest.Validate(t, out, true)
	info := testenv.Run(t, "pdfinfo", out)
	if !strings.Contains(testenv.Normalise(info), "Pages: 4") || !strings.Contains(testenv.Normalise(info), "Title: out") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	text := testenv.PDFText(t, out)
	pages := strings.Split(text, "\f")
	want, _ := os.ReadFile(testenv.Testdata("phototest.txt"))
	if cer := testenv.CER(pages[0], string(want)); cer > 0.01 {
		t.Errorf("page 1 CER %.3f", cer)
	}
	if cer := testenv.CER(pages[1], string(want)); cer > 0.01 {
		t.Errorf("page 2 (G4) CER %.3f", cer)
	}
	if !strings.Contains(pages[3], "المغربية") || !strings.Contains(pages[3], "résidence") {
		t.Errorf("page 4 lacks its French or Arabic text:\n%s", pages[3])
	}
	sidecar, err := os.ReadFile(side)
	if err != nil || strings.Count(string(sidecar), "\f") != 3 || !strings.Contains(string(sidecar), "lazy fox") {
		t.Errorf("sidecar: %v\n%s", err, sidecar)
	}
	var written, done int
	for i, e := range events {
		switch e.Stage {
		case pipeline.StageWrite:
			if e.Warning != "" {
				continue // a page's warnings come before it is written
			}
			written++
			if e.Page != written {
				t.Errorf("event %d writes page %d, want %d (in order)", i, e.Page, written)
			}
		case pipeline.StageDone:
			done++
		}
	}
	if written != 4 || done != 1 {
		t.Errorf("%d write and %d done events", written, done)
	}
	noLeftovers(t, dir, "out.pdf", "out.txt")
}

func TestNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	os.WriteFile(out, []byte("precious"), 0o644)
	_, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, out, pipeline.Options{Languages: []string{"eng"}})
	if !errors.Is(err, pipeline.ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v, want ErrExists mentioning --force", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "precious" {
		t.Error("the existing file was changed")
	}
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, out, pipeline.Options{Languages: []string{"eng"}, Force: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "%PDF-") {
		t.Error("--force did not replace the file")
	}
	noLeftovers(t, dir, "out.pdf")
}

func TestBadInputLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "scan.png")
	os.WriteFile(bad, []byte("this is text"), 0o644)
	out := filepath.Join(dir, "out.pdf")
	_, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif"), bad}, out,
		pipeline.Options{Languages: []string{"eng"}, Sidecar: filepath.Join(dir, "out.txt")})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want one naming %s", err, bad)
	}
	noLeftovers(t, dir, "scan.png")
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, filepath.Join(dir, "no", "such", "out.pdf"), pipeline.Options{Languages: []string{"eng"}}); err == nil || !strings.Contains(err.Error(), "folder does not exist") {
		t.Errorf("missing output folder: %v", err)
	}
}

// faulty wraps the real engine and misbehaves on chosen pages.
type faulty struct {
	ocr.Engine
	calls   atomic.Int32
	timeout int32 // call number that times out
	fail    int32 // call number that fails
}

func (f *faulty) Recognize(ctx context.Context, img ocr.Image) (*ocr.Result, error) {
	switch f.calls.Add(1) {
	case f.timeout:
		return nil, ocr.ErrTimeout
	case f.fail:
		return nil, errors.New("ocr: engine exploded")
	}
	return f.Engine.Recognize(ctx, img)
}

func realEngine(t *testing.T) ocr.Engine {
	t.Helper()
	e, err := ocr.NewTesseract(ocr.Options{Languages: []string{"eng"}, Workers: 2})
	if err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestOCRTimeoutKeepsPage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	in := testenv.Testdata("phototest.tif")
	eng := &faulty{Engine: realEngine(t), timeout: 2}
	res, err := pipeline.Process(context.Background(), []string{in, in, in}, out, pipeline.Options{Jobs: 1, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 3 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "without text") {
		t.Errorf("result = %+v, want 3 pages and one warning", res)
	}
	pages := strings.Split(testenv.PDFText(t, out), "\f")
	if strings.TrimSpace(pages[1]) != "" || !strings.Contains(pages[0], "lazy fox") || !strings.Contains(pages[2], "lazy fox") {
		t.Errorf("want page 2 without text, the others with:\n%q", pages)
	}
}

func TestOCRFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	in := testenv.Testdata("phototest.tif")
	eng := &faulty{Engine: realEngine(t), fail: 3}
	alto := filepath.Join(dir, "alto")
	os.Mkdir(alto, 0o755)
	_, err := pipeline.Process(context.Background(), []string{in, in, in, in, in}, out, pipeline.Options{Jobs: 2, Engine: eng, ALTO: alto})
	if err == nil || !strings.Contains(err.Error(), "exploded") || !strings.Contains(err.Error(), "phototest.tif") {
		t.Errorf("err = %v", err)
	}
	noLeftovers(t, dir, "alto")
	noLeftovers(t, alto)
}

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	in := testenv.Testdata("phototest.tif")
	ctx, cancel := context.WithCancel(context.Background())
	var inputs []string
	for i := 0; i < 30; i++ {
		inputs = append(inputs, in)
	}
	_, err := pipeline.Process(ctx, inputs, out, pipeline.Options{Jobs: 2, Engine: realEngine(t), Progress: func(e pipeline.Event) {
		if e.Stage == pipeline.StageWrite && e.Done == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	noLeftovers(t, dir)
}

// Temporary files of dead runs are removed; those of live runs are not.
func TestStalePartials(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	dead := filepath.Join(dir, ".out.pdf.111.partial")
	os.WriteFile(dead, []byte("%PDF-1.7 half"), 0o644)
	live := filepath.Join(dir, ".out.pdf.222.partial")
	os.WriteFile(live, []byte("%PDF-1.7 busy"), 0o644)
	// Locks conflict between separate opens, so this stands for a live run.
	f, err := filelock.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := pipeline.Process(context.Background(), []string{testenv.Testdata("phototest.tif")}, out, pipeline.Options{Languages: []string{"eng"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("the dead run's file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("the live run's file was removed")
	}
}
