package ocr

import (
	"os"
	"testing"
)

const sampleHOCR = `  <div class='ocr_page' id='page_1' title='image ""; bbox 0 0 1000 800; ppageno 0; scan_res 300 300'>
   <div class='ocr_carea' id='block_1_1' title="bbox 100 100 900 200">
    <p class='ocr_par' id='par_1_1' lang='fra' title="bbox 100 100 900 200">
     <span class='ocr_line' id='line_1_1' title="bbox 100 100 900 150; baseline 0.01 -10; x_size 40; x_descenders 8; x_ascenders 10">
      <span class='ocrx_word' id='word_1_1' title='bbox 100 110 300 140; x_wconf 96'>Objet&#160;:</span>
      <span class='ocrx_word' id='word_1_2' title='bbox 320 110 500 140; x_wconf 91'>l&#39;<strong>honneur</strong></span>
      <span class='ocrx_word' id='word_1_3' title='bbox 520 110 560 140; x_wconf 0'> </span>
     </span>
    </p>
   </div>
   <div class='ocr_carea' id='block_1_2' title="bbox 100 300 900 400">
    <p class='ocr_par' id='par_1_2' dir='rtl' title="bbox 100 300 900 400">
     <span class='ocr_header' id='line_1_2' title="bbox 100 300 900 360; baseline 0 -12; x_size 50">
      <span class='ocrx_word' id='word_1_4' title='bbox 600 300 900 350; x_wconf 88'>المملكة</span>
      <span class='ocrx_word' id='word_1_5' title='bbox 400 300 580 350; x_wconf 80' dir='ltr'>2026</span>
     </span>
    </p>
   </div>
  </div>
`

func TestParseHOCR(t *testing.T) {
	r, err := ParseHOCR([]byte(sampleHOCR))
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 1000 || r.Height != 800 || r.DPI != 300 {
		t.Errorf("page = %dx%d at %g dpi, want 1000x800 at 300", r.Width, r.Height, r.DPI)
	}
	if len(r.Lines) != 2 {
		t.Fatalf("%d lines, want 2", len(r.Lines))
	}
	l := r.Lines[0]
	if l.Box != (Box{100, 100, 900, 150}) || l.Slope != 0.01 || l.Offset != -10 || l.Size != 40 || l.Dir != DirLTR || l.Block != 1 || l.Para != 1 {
		t.Errorf("line 1 = %+v", l)
	}
	if len(l.Words) != 2 {
		t.Fatalf("line 1 has %d words (%+v), want 2: blank words are dropped", len(l.Words), l.Words)
	}
	if w := l.Words[0]; w.Text != "Objet\u00a0:" || w.Conf != 96 || w.Box != (Box{100, 110, 300, 140}) {
		t.Errorf("word 1 = %+v", w)
	}
	if w := l.Words[1]; w.Text != "l'honneur" || w.Lang != "" {
		t.Errorf("word 2 = %+v: text inside <strong> belongs to the word", w)
	}
	if got := l.BaselineAt(100); got != 140 {
		t.Errorf("baseline at line start = %g, want 150-10 = 140", got)
	}
	a := r.Lines[1]
	if a.Dir != DirRTL || a.Block != 2 || a.Size != 50 {
		t.Errorf("line 2 = %+v, want an rtl header line of block 2", a)
	}
	if a.Words[0].Text != "المملكة" || a.Words[0].Dir != DirNeutral || a.Words[1].Dir != DirLTR {
		t.Errorf("line 2 words = %+v", a.Words)
	}
	if got, want := r.Text(), "Objet\u00a0: l'honneur\n\nالمملكة 2026\n"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

func TestParseHOCRErrors(t *testing.T) {
	for _, in := range []string{"", "<p>no page</p>", "<div class='ocr_page'><span"} {
		if _, err := ParseHOCR([]byte(in)); err == nil {
			t.Errorf("ParseHOCR(%q) succeeded", in)
		}
	}
}

func FuzzParseHOCR(f *testing.F) {
	f.Add([]byte(sampleHOCR))
	if b, err := os.ReadFile("testdata/phototest.hocr"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseHOCR(b)
		if err != nil {
			return
		}
		for _, l := range r.Lines {
			if len(l.Words) == 0 {
				t.Fatal("a line without words was kept")
			}
		}
		_ = r.Text()
	})
}

func TestParseLanguages(t *testing.T) {
	got, err := ParseLanguages("fra+ara+eng+fra")
	if err != nil || len(got) != 3 || got[0] != "fra" || got[2] != "eng" {
		t.Errorf("ParseLanguages = %v, %v", got, err)
	}
	for _, bad := range []string{"", "+", "fra;rm -rf"} {
		if _, err := ParseLanguages(bad); err == nil {
			t.Errorf("ParseLanguages(%q) succeeded", bad)
		}
	}
}
