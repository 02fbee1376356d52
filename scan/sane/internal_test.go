package sane

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/demat-app/demat/scan"
)

// Source strings of real backends (fujitsu, epson2, brother4, hpaio,
// pixma, plustek, canon_dr).
func TestClassifySource(t *testing.T) {
	tests := []struct {
		s    string
		want scan.Input // "" for none
	}{
		{"Flatbed", scan.Flatbed},
		{"FlatBed", scan.Flatbed},
		{"Normal", scan.Flatbed},
		{"Document Table", scan.Flatbed},
		{"ADF", scan.Feeder},
		{"ADF Front", scan.Feeder},
		{"Automatic Document Feeder", scan.Feeder},
		{"Automatic Document Feeder(left aligned)", scan.Feeder},
		{"ADF Duplex", scan.Duplex},
		{"Duplex", scan.Duplex},
		{"Automatic Document Feeder(left aligned,Duplex)", scan.Duplex},
		{"ADF Back", ""},
		{"Transparency Adapter", ""},
		{"Negative", ""},
		{"Film", ""},
	}
	for _, tt := range tests {
		got, ok := classifySource(tt.s)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("classifySource(%q) = %q, %v; want %q", tt.s, got, ok, tt.want)
		}
	}
}

func TestClassifyMode(t *testing.T) {
	tests := []struct {
		s    string
		want scan.Mode
	}{
		{"Color", scan.Color},
		{"24bit Color", scan.Color},
		{"Colour", scan.Color},
		{"Gray", scan.Gray},
		{"True Gray", scan.Gray},
		{"Grayscale", scan.Gray},
		{"Lineart", scan.BW},
		{"Binary", scan.BW},
		{"Black & White", scan.BW},
		{"Halftone", ""},
		{"Gray[Error Diffusion]", ""},
		{"Infrared", ""},
	}
	for _, tt := range tests {
		got, ok := classifyMode(tt.s)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("classifyMode(%q) = %q, %v; want %q", tt.s, got, ok, tt.want)
		}
	}
}

func fixed(f float64) int32 { return int32(f * fixedScale) }

func TestParseNumber(t *testing.T) {
	mm := &optDesc{Name: "br-x", Type: typeFixed, Unit: unitMM, Size: 4, Constraint: constraintRange, Min: 0, Max: fixed(215.9), Quant: 0}
	dpi := &optDesc{Name: "resolution", Type: typeInt, Unit: unitDPI, Size: 4, Constraint: constraintWordList, Words: []int32{75, 150, 300, 600}}
	fixedList := &optDesc{Name: "f", Type: typeFixed, Size: 4, Constraint: constraintWordList, Words: []int32{fixed(-32.7), fixed(12.1), fixed(42)}}
	tests := []struct {
		d       *optDesc
		in      string
		want    int32
		wantErr string
	}{
		{mm, "210", fixed(210), ""},
		{mm, "210mm", fixed(210), ""},
		{mm, "21cm", fixed(210), ""},
		{mm, "8.5in", fixed(215.9), ""},
		{mm, "300", 0, "out of range (allowed: 0mm..215.9mm)"},
		{mm, "-1", 0, "out of range"},
		{mm, "wide", 0, "not a number"},
		{dpi, "300", 300, ""},
		{dpi, "300dpi", 300, ""},
		{dpi, "0x12c", 300, ""},
		{dpi, "200", 0, "not one of the allowed values (75dpi, 150dpi, 300dpi, 600dpi)"},
		{dpi, "150.5", 0, "not a whole number"},
		{fixedList, "12.1", fixed(12.1), ""}, // the list's own word, however 12.1 rounds
		{fixedList, "12.2", 0, "not one of"},
	}
	for _, tt := range tests {
		w, err := tt.d.parseNumber(tt.in)
		if err == nil {
			w, err = tt.d.check(w)
		}
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s=%s: error %v, want %q", tt.d.Name, tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%s=%s: %v", tt.d.Name, tt.in, err)
		case w != tt.want:
			t.Errorf("%s=%s: word %d, want %d", tt.d.Name, tt.in, w, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"": true, "yes": true, "TRUE": true, "1": true, "on": true, "no": false, "False": false, "0": false, "off": false} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error("parseBool(maybe) accepted")
	}
}

func TestResolutions(t *testing.T) {
	tests := []struct {
		name string
		d    optDesc
		want []int
	}{
		{"word list", optDesc{Type: typeInt, Constraint: constraintWordList, Words: []int32{600, 75, 300, 150, 300}}, []int{75, 150, 300, 600}},
		{"fixed range", optDesc{Type: typeFixed, Constraint: constraintRange, Min: fixed(1), Max: fixed(1200), Quant: fixed(1)}, []int{1, 75, 100, 150, 200, 240, 300, 400, 600, 1200}},
		{"range with steps of 100", optDesc{Type: typeInt, Constraint: constraintRange, Min: 100, Max: 9600, Quant: 100}, []int{100, 200, 300, 400, 600, 1200, 2400, 4800, 9600}},
		{"no constraint", optDesc{Type: typeInt}, nil},
	}
	for _, tt := range tests {
		if got := resolutions(&tt.d); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// feed sends a frame's bytes to the builder in chunks of n bytes, which
// cut lines anywhere, as sane_read does.
func feed(t *testing.T, b *pageBuilder, f frameInfo, data []byte, n int) {
	t.Helper()
	if err := b.beginFrame(f); err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		k := min(n, len(data))
		if err := b.readFrom(bytes.NewReader(data[:k]), k); err != nil {
			t.Fatal(err)
		}
		data = data[k:]
	}
	if err := b.endFrame(); err != nil {
		t.Fatal(err)
	}
}

func le16(vs ...uint16) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.NativeEndian.AppendUint16(out, v)
	}
	return out
}

func TestPageBuilder(t *testing.T) {
	tests := []struct {
		name   string
		frames []frameInfo
		data   [][]byte
		want   image.Image
		warn   string
	}{
		{
			name: "1-bit grey, 1 is black, padded line",
			// 10 pixels in 2 bytes, plus a byte of padding per line.
			frames: []frameInfo{{Format: "gray", Last: true, BytesPerLine: 3, Pixels: 10, Lines: 2, Depth: 1}},
			data:   [][]byte{{0b10100000, 0b01000000, 0xEE, 0xFF, 0xC0, 0xEE}},
			want: &image.Gray{Rect: image.Rect(0, 0, 10, 2), Stride: 10, Pix: []byte{
				0, 255, 0, 255, 255, 255, 255, 255, 255, 0,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			}},
		},
		{
			name:   "16-bit grey in host order, reduced to 8",
			frames: []frameInfo{{Format: "gray", Last: true, BytesPerLine: 6, Pixels: 3, Lines: 1, Depth: 16}},
			data:   [][]byte{le16(0, 0x8080, 0xFFFF)},
			want:   &image.Gray{Rect: image.Rect(0, 0, 3, 1), Stride: 3, Pix: []byte{0, 128, 255}},
		},
		{
			name:   "8-bit RGB",
			frames: []frameInfo{{Format: "rgb", Last: true, BytesPerLine: 6, Pixels: 2, Lines: 1, Depth: 8}},
			data:   [][]byte{{1, 2, 3, 4, 5, 6}},
			want:   &image.RGBA{Rect: image.Rect(0, 0, 2, 1), Stride: 8, Pix: []byte{1, 2, 3, 255, 4, 5, 6, 255}},
		},
		{
			name:   "16-bit RGB",
			frames: []frameInfo{{Format: "rgb", Last: true, BytesPerLine: 6, Pixels: 1, Lines: 1, Depth: 16}},
			data:   [][]byte{le16(0xFFFF, 0, 0x0101)},
			want:   &image.RGBA{Rect: image.Rect(0, 0, 1, 1), Stride: 4, Pix: []byte{255, 0, 1, 255}},
		},
		{
			name: "three-pass, blue first",
			frames: []frameInfo{
				{Format: "blue", BytesPerLine: 2, Pixels: 2, Lines: 1, Depth: 8},
				{Format: "green", BytesPerLine: 2, Pixels: 2, Lines: 1, Depth: 8},
				{Format: "red", Last: true, BytesPerLine: 2, Pixels: 2, Lines: 1, Depth: 8},
			},
			data: [][]byte{{30, 60}, {20, 50}, {10, 40}},
			want: &image.RGBA{Rect: image.Rect(0, 0, 2, 1), Stride: 8, Pix: []byte{10, 20, 30, 255, 40, 50, 60, 255}},
		},
		{
			name:   "unknown height",
			frames: []frameInfo{{Format: "gray", Last: true, BytesPerLine: 2, Pixels: 2, Lines: -1, Depth: 8}},
			data:   [][]byte{{1, 2, 3, 4, 5, 6}},
			want:   &image.Gray{Rect: image.Rect(0, 0, 2, 3), Stride: 2, Pix: []byte{1, 2, 3, 4, 5, 6}},
		},
		{
			name:   "short frame is cut, with a warning",
			frames: []frameInfo{{Format: "gray", Last: true, BytesPerLine: 2, Pixels: 2, Lines: 4, Depth: 8}},
			data:   [][]byte{{1, 2, 3, 4, 5}},
			want:   &image.Gray{Rect: image.Rect(0, 0, 2, 2), Stride: 2, Pix: []byte{1, 2, 3, 4}},
			warn:   "2 of the 4 lines",
		},
		{
			name:   "long frame is cut, with a warning",
			frames: []frameInfo{{Format: "gray", Last: true, BytesPerLine: 1, Pixels: 1, Lines: 2, Depth: 8}},
			data:   [][]byte{{1, 2, 3}},
			want:   &image.Gray{Rect: image.Rect(0, 0, 1, 2), Stride: 1, Pix: []byte{1, 2}},
			warn:   "1 lines more",
		},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 1 << 20} {
			b := &pageBuilder{}
			for i, f := range tt.frames {
				feed(t, b, f, tt.data[i], chunk)
			}
			if !b.complete() {
				t.Fatalf("%s: page not complete after its frames", tt.name)
			}
			p := b.page("x page 1")
			if err := p.Validate(); err != nil && !strings.Contains(err.Error(), "resolution") {
				t.Errorf("%s: %v", tt.name, err)
			}
			if !sameImage(p.Image, tt.want) {
				t.Errorf("%s (chunks of %d): got %v, want %v", tt.name, chunk, p.Image, tt.want)
			}
			if w := strings.Join(p.Warnings, "; "); (tt.warn == "") != (w == "") || !strings.Contains(w, tt.warn) {
				t.Errorf("%s: warnings %q, want %q", tt.name, w, tt.warn)
			}
		}
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			if a.At(ab.Min.X+x, ab.Min.Y+y) != b.At(bb.Min.X+x, bb.Min.Y+y) {
				return false
			}
		}
	}
	return true
}

func TestPageBuilderRefuses(t *testing.T) {
	tests := []struct {
		name string
		f    frameInfo
		want string
	}{
		{"1-bit colour", frameInfo{Format: "rgb", BytesPerLine: 3, Pixels: 8, Lines: 1, Depth: 1}, "1 bits per sample"},
		{"4 bits", frameInfo{Format: "gray", BytesPerLine: 4, Pixels: 8, Lines: 1, Depth: 4}, "4 bits per sample"},
		{"short lines", frameInfo{Format: "rgb", BytesPerLine: 5, Pixels: 2, Lines: 1, Depth: 8}, "5 bytes per line"},
		{"unknown format", frameInfo{Format: "format 16", BytesPerLine: 4, Pixels: 1, Lines: 1, Depth: 8}, "cannot read"},
		{"no lines", frameInfo{Format: "gray", BytesPerLine: 1, Pixels: 1, Lines: 0, Depth: 8}, "0 lines"},
		{"too large", frameInfo{Format: "gray", BytesPerLine: 100000, Pixels: 100000, Lines: 100000, Depth: 8}, "too large"},
	}
	for _, tt := range tests {
		err := (&pageBuilder{}).beginFrame(tt.f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	b := &pageBuilder{}
	if err := b.beginFrame(frameInfo{Format: "gray", Last: true, BytesPerLine: 4, Pixels: 4, Lines: 2, Depth: 8}); err != nil {
		t.Fatal(err)
	}
	if err := b.endFrame(); err == nil {
		t.Error("a frame without a line was accepted")
	}
}

// NO_DOCS ends a feeder batch normally once a page was read; it is an
// empty feeder before, and on a flatbed.
func TestRemoteError(t *testing.T) {
	noDocs := &wireError{Status: int(statusNoDocs), Message: "document feeder out of documents", Page: 3}
	tests := []struct {
		we    *wireError
		pages int
		batch bool
		want  error
	}{
		{noDocs, 2, true, nil},
		{noDocs, 0, true, scan.ErrFeederEmpty},
		{noDocs, 0, false, scan.ErrFeederEmpty},
		{&wireError{Status: int(statusJammed), Page: 4}, 3, true, scan.ErrPaperJam},
		{&wireError{Status: int(statusWarmingUp)}, 0, false, scan.ErrWarmingUp},
		{&wireError{Status: 99}, 0, false, scan.ErrDevice},
		{&wireError{Kind: kindNotFound, Message: "no SANE device"}, 0, false, scan.ErrNotFound},
		{&wireError{Kind: kindInvalidOption, Message: "x"}, 0, false, scan.ErrInvalidOption},
		{&wireError{Kind: kindNoSANE}, 0, false, errNoSANE},
	}
	for _, tt := range tests {
		err := remoteError(tt.we, "test:0", tt.pages, tt.batch)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%+v after %d pages: %v, want the normal end", tt.we, tt.pages, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%+v after %d pages: %v, want %v", tt.we, tt.pages, err, tt.want)
		}
	}
}

func TestProtocolRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	data := []byte{0, 1, 2, 3, 255}
	msgs := []*message{
		{Type: msgHello, Version: protocolVersion},
		{Type: msgFrame, Page: 2, Frame: &frameInfo{Format: "rgb", Last: true, BytesPerLine: 30, Pixels: 10, Lines: -1, Depth: 8, XDPI: 300, YDPI: 150}},
		{Type: msgData},
		{Type: msgError, Error: &wireError{Status: int(statusJammed), Message: "jam", Page: 4}},
	}
	for _, m := range msgs {
		var d []byte
		if m.Type == msgData {
			d = data
		}
		if err := writeMessage(&buf, m, d); err != nil {
			t.Fatal(err)
		}
	}
	r := iotest.OneByteReader(&buf)
	for _, want := range msgs {
		got, err := readMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != want.Type || got.Page != want.Page || got.Len != want.Len {
			t.Errorf("read %+v, wrote %+v", got, want)
		}
		if want.Frame != nil && *got.Frame != *want.Frame {
			t.Errorf("frame %+v, wrote %+v", *got.Frame, *want.Frame)
		}
		if want.Error != nil && *got.Error != *want.Error {
			t.Errorf("error %+v, wrote %+v", *got.Error, *want.Error)
		}
		if got.Len > 0 {
			b := make([]byte, got.Len)
			if _, err := io.ReadFull(r, b); err != nil || !bytes.Equal(b, data) {
				t.Errorf("data %v, %v", b, err)
			}
		}
	}
	if _, err := readMessage(r); err != io.EOF {
		t.Errorf("after the last message: %v, want EOF", err)
	}
}

func TestReadMessageRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"text":              "Usage: demat [command]\n",
		"huge header":       "\x7f\x00\x00\x00{",
		"not JSON":          "\x00\x00\x00\x03abc",
		"data on a frame":   "\x00\x00\x00\x12{\"t\":\"frame\",\"n\":1}",
		"no type":           "\x00\x00\x00\x02{}",
		"truncated":         "\x00\x00\x00\x10{\"t\":",
		"negative data len": "\x00\x00\x00\x12{\"t\":\"data\",\"n\":-1}",
	} {
		if _, err := readMessage(strings.NewReader(in)); err == nil || err == io.EOF {
			t.Errorf("%s: %v, want an error", name, err)
		}
	}
}

func FuzzReadMessage(f *testing.F) {
	var buf bytes.Buffer
	_ = writeMessage(&buf, &message{Type: msgFrame, Frame: &frameInfo{Format: "gray", Pixels: 1, Lines: 1, BytesPerLine: 1, Depth: 8}}, nil)
	_ = writeMessage(&buf, &message{Type: msgData}, []byte{1, 2, 3})
	f.Add(buf.Bytes())
	f.Add([]byte("\x00\x00\x00\x02{}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		// Whatever the bytes, the reader and the page builder fail
		// cleanly: no panic, no allocation past the limits.
		r := bytes.NewReader(in)
		b := &pageBuilder{}
		for {
			m, err := readMessage(r)
			if err != nil {
				return
			}
			switch {
			case m.Type == msgFrame && m.Frame != nil:
				// The pixel limit is tested above; here, stay small.
				if int64(m.Frame.Pixels)*int64(max(m.Frame.Lines, 1)) > 1<<20 || b.beginFrame(*m.Frame) != nil {
					return
				}
			case m.Type == msgData:
				if b.readFrom(r, m.Len) != nil {
					return
				}
			case m.Type == msgFrameEnd:
				if b.line == nil || b.endFrame() != nil {
					return
				}
			}
		}
	})
}
