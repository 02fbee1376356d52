package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

// paced is a feeder that delivers real pages at a scanner's pace.
type paced struct {
	file.Source
	interval time.Duration
	last     time.Time // when the last page was delivered
}

func (p *paced) Scan(ctx context.Context, dev scan.Device, opt scan.Options, emit func(scan.Page) error) error {
	next := time.Now()
	return p.Source.Scan(ctx, dev, opt, func(pg scan.Page) error {
		next = next.Add(p.interval)
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.last = time.Now()
		return emit(pg)
	})
}

// BenchmarkScanOverlap scans 10 corpus pages from a feeder delivering
// one page every 2.5 s (24 pages a minute, a desk scanner's pace) with two
// OCR workers, and reports how long the PDF takes after the last page left
// the feeder (tail), against the median time to recognise one page alone:
// with scanning and OCR overlapped, the tail is about one page's OCR.
// Needs the shared corpus (DEMAT_CORPUS, default ../../shared/corpus).
func BenchmarkScanOverlap(b *testing.B) {
	corpus := os.Getenv("DEMAT_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "shared", "corpus")
	}
	src, _ := filepath.Glob(filepath.Join(corpus, "03_french_tapuscorpus", "*.jpg"))
	if len(src) < 4 {
		b.Fatalf("BenchmarkScanOverlap needs the corpus's French pages in %s (set DEMAT_CORPUS)", corpus)
	}
	feeder := b.TempDir()
	for i := 0; i < 10; i++ {
		data, err := os.ReadFile(src[i%len(src)])
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(feeder, "page"+string(rune('a'+i))+".jpg"), data, 0o644)
	}
	dev, _ := file.DeviceFor(feeder)
	engine, err := ocr.NewTesseract(ocr.Options{Languages: []string{"fra"}, Workers: 2})
	if err != nil {
		b.Fatalf("%v (run make deps)", err)
	}
	defer engine.Close()

	// One page's OCR, alone: the median over the distinct pages.
	var alone []time.Duration
	for _, p := range src[:4] {
		data, _ := os.ReadFile(p)
		start := time.Now()
		if _, err := engine.Recognize(context.Background(), ocr.Image{Data: data, DPI: 0}); err != nil {
			b.Fatal(err)
		}
		alone = append(alone, time.Since(start))
	}
	slices.Sort(alone)
	pageOCR := (alone[1] + alone[2]) / 2

	b.ResetTimer()
	var tail time.Duration
	for i := 0; i < b.N; i++ {
		s := &paced{interval: 2500 * time.Millisecond}
		out := filepath.Join(b.TempDir(), "scan.pdf")
		res, err := pipeline.Scan(context.Background(), s, dev, scan.Options{}, out,
			pipeline.Options{Jobs: 2, Engine: engine, Languages: []string{"fra"}})
		if err != nil || res.Pages != 10 {
			b.Fatalf("scan: %v, %+v", err, res)
		}
		tail += time.Since(s.last)
	}
	tail /= time.Duration(b.N)
	b.ReportMetric(tail.Seconds(), "tail-s")
	b.ReportMetric(pageOCR.Seconds(), "page-ocr-s")
	b.ReportMetric(tail.Seconds()/pageOCR.Seconds(), "tail/page-ocr")
}
