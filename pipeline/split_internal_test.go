package pipeline

import (
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"strings"
	"testing"

	"github.com/demat-app/demat/scan"
)

// cuts runs pages through a cutter and writes what it hands on: a page
// by its name, a cut as |, a page left out not at all.
func cuts(sp Split, pages []scan.Page) string {
	sp.Progress, sp.Logger = func(Event) {}, slog.New(slog.DiscardHandler)
	c := cutter{sp: sp}
	var b strings.Builder
	for i := range pages {
		for _, it := range c.page(&pages[i]) {
			if it.cut {
				b.WriteString("|")
			} else {
				b.WriteString(it.page.Source)
			}
		}
	}
	return b.String()
}

// testPages makes A4 pages at 100 dpi: "x" a page with print, "_" a blank
// one, named a, b, c… in order.
func testPages(layout string) []scan.Page {
	var out []scan.Page
	for i, k := range layout {
		img := image.NewGray(image.Rect(0, 0, 827, 1169))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		if k == 'x' {
			for l := 0; l < 20; l++ { // lines of "text"
				draw.Draw(img, image.Rect(100, 100+40*l, 700, 112+40*l), image.Black, image.Point{}, draw.Src)
			}
		}
		out = append(out, scan.NewPage(img, 100, 100, fmt.Sprintf("%c", 'a'+i)))
	}
	return out
}

func TestCutter(t *testing.T) {
	for _, tc := range []struct {
		sp     Split
		layout string
		want   string
	}{
		{Split{Every: 2}, "xxxxx", "ab|cd|e"},
		{Split{Every: 1}, "xxx", "a|b|c"},
		{Split{Blank: true}, "xx_xxx_x", "ab|def|h"},
		{Split{Blank: true}, "_xx__x_", "|bc||f|"},
		{Split{Blank: true, Every: 2}, "xxx_x", "ab|c|e"},
		{Split{}, "x_x", "abc"},
	} {
		if got := cuts(tc.sp, testPages(tc.layout)); got != tc.want {
			t.Errorf("%+v %s: %s, want %s", tc.sp, tc.layout, got, tc.want)
		}
	}
}
