package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

// jamming is a real file source that jams after a number of pages.
type jamming struct {
	file.Source
	after int
}

func (j *jamming) Scan(ctx context.Context, dev scan.Device, opt scan.Options, emit func(scan.Page) error) error {
	n := 0
	err := j.Source.Scan(ctx, dev, opt, func(p scan.Page) error {
		if n == j.after {
			return errStop
		}
		n++
		return emit(p)
	})
	if errors.Is(err, errStop) || err == nil {
		return fmt.Errorf("test scanner: read page %d: %w", n+1, scan.ErrPaperJam)
	}
	return err
}

var errStop = errors.New("stop")

func TestScanKeepsPagesBeforeJam(t *testing.T) {
	dev, err := file.DeviceFor(testenv.Testdata("multipage-g4.tif"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after int
	}{{0}, {1}, {2}} {
		t.Run(fmt.Sprint("after", tc.after), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.pdf")
			src := &jamming{after: tc.after}
			res, err := pipeline.Scan(context.Background(), src, dev, scan.Options{}, out,
				pipeline.Options{Jobs: 2, Engine: realEngine(t)})
			if !errors.Is(err, scan.ErrPaperJam) {
				t.Fatalf("err = %v, want a paper jam", err)
			}
			if tc.after == 0 {
				if res != nil {
					t.Errorf("result %+v for a scan that gave no page", res)
				}
				noLeftovers(t, dir)
				return
			}
			var se *pipeline.SourceError
			if !errors.As(err, &se) || se.Pages != tc.after || res == nil || res.Pages != tc.after {
				t.Fatalf("err = %v, result = %+v: want the %d pages before the jam", err, res, tc.after)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("after page %d", tc.after)) {
				t.Errorf("message %q does not say after which page", err)
			}
			text := testenv.PDFText(t, out)
			if got := len(strings.Split(strings.TrimRight(text, "\f"), "\f")); got != tc.after {
				t.Errorf("PDF has %d pages, want %d", got, tc.after)
			}
			if !strings.Contains(text, "lazy fox") {
				t.Errorf("the pages kept were not recognised:\n%s", text)
			}
			noLeftovers(t, dir, "out.pdf")
		})
	}
}
