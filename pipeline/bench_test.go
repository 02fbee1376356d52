package pipeline_test

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/clean"
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
	corpus := corpusDir()
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
		// Recognition alone, as the single-page figure is: cleanup's own
		// cost is BenchmarkCleanupVsOCR's.
		res, err := pipeline.Scan(context.Background(), s, dev, scan.Options{}, out,
			pipeline.Options{Jobs: 2, Engine: engine, Languages: []string{"fra"}, NoClean: true})
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

// BenchmarkCleanupVsOCR measures, page by page on corpus scans (A4 and
// Letter at 300 dpi), the cost of cleanup against that of recognising the
// page, and reports medians: cleanup proper (deciding the edits and
// rendering the page, clean.Auto + clean.Render) and all that cleaning
// adds to a page in the pipeline (also decoding it, and storing it by
// what it holds rather than as it came). Needs the shared corpus
// (DEMAT_CORPUS).
func BenchmarkCleanupVsOCR(b *testing.B) {
	corpus := corpusDir()
	pages, _ := filepath.Glob(filepath.Join(corpus, "03_french_tapuscorpus", "*.jpg"))
	pages = append(pages, filepath.Join(corpus, "02_ocrmypdf_resources", "linn.png"),
		filepath.Join(corpus, "05_english_fondue_print20", "dracula_page_52.png"))
	for _, p := range pages {
		if _, err := os.Stat(p); err != nil {
			b.Fatalf("BenchmarkCleanupVsOCR needs the corpus pages (%v; set DEMAT_CORPUS)", err)
		}
	}
	engine, err := ocr.NewTesseract(ocr.Options{Languages: []string{"fra"}, Workers: 1})
	if err != nil {
		b.Fatalf("%v (run make deps)", err)
	}
	defer engine.Close()
	var proper, added, recog []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		proper, added, recog = proper[:0], added[:0], recog[:0]
		for _, path := range pages {
			var page scan.Page
			err := file.ReadFile(context.Background(), path, file.Options{}, func(p scan.Page) error { page = p; return nil })
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			img, err := page.Pixels()
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			// Cleanup is timed three times and its median kept: one
			// page's cleanup is short enough for a collection or a
			// page fault to double it.
			var edits clean.Edits
			var rep clean.Report
			var out image.Image
			var decide, render []float64
			for k := 0; k < 3; k++ {
				s := time.Now()
				edits, rep = clean.Auto(img, page.YDPI, clean.Options{OrientSideways: true})
				m := time.Now()
				out = clean.Render(img, edits)
				e := time.Now()
				decide, render = append(decide, m.Sub(s).Seconds()), append(render, e.Sub(m).Seconds())
			}
			dec, ren := seconds(median(decide)), seconds(median(render))
			ta := t1.Add(dec)
			t2 := ta.Add(ren)
			// Storing the page by what it holds (G4, mixed, JPEG)
			// rather than as it came.
			enc := time.Now()
			stored := page
			if len(edits) > 0 {
				b := out.Bounds()
				stored.Image, stored.Decode, stored.File, stored.Original = out, nil, nil, nil
				stored.Width, stored.Height = b.Dx(), b.Dy()
			}
			if _, err := pdf.EncodeImage(&stored, pdf.ImageOptions{Report: &rep}); err != nil {
				b.Fatal(err)
			}
			t3 := t2.Add(time.Since(enc))
			ocrStart := time.Now()
			if _, err := engine.Recognize(context.Background(), ocr.Image{Data: page.File, DPI: page.YDPI}); err != nil {
				b.Fatal(err)
			}
			t4 := t3.Add(time.Since(ocrStart))
			if i == 0 {
				b.Logf("%s %d×%d %g dpi: decode %v, clean %v (decide %v, render %v: %v), store %v, OCR %v", filepath.Base(path), page.Width, page.Height, page.YDPI,
					t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), ta.Sub(t1).Round(time.Millisecond), t2.Sub(ta).Round(time.Millisecond), edits, t3.Sub(t2).Round(time.Millisecond), t4.Sub(t3).Round(time.Millisecond))
			}
			proper = append(proper, t2.Sub(t1).Seconds())
			added = append(added, t3.Sub(t0).Seconds())
			recog = append(recog, t4.Sub(t3).Seconds())
		}
	}
	ratio := func(xs []float64) float64 {
		r := make([]float64, len(xs))
		for i := range xs {
			r[i] = xs[i] / recog[i]
		}
		return median(r)
	}
	b.ReportMetric(median(proper)*1000, "cleanup-ms")
	b.ReportMetric(median(recog)*1000, "ocr-ms")
	b.ReportMetric(ratio(proper), "cleanup/ocr")
	b.ReportMetric(median(added)*1000, "added-ms")
	b.ReportMetric(ratio(added), "added/ocr")
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// corpusDir is where the benchmarks find the shared corpus: DEMAT_CORPUS,
// or ../shared/corpus beside the repository.
func corpusDir() string {
	if d := os.Getenv("DEMAT_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "corpus")
}
