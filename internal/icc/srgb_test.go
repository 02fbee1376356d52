package icc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parsedTag is one tag-table entry read back from the bytes.
type parsedTag struct {
	off, size int
	data      []byte
}

// parse reads the header fields the tests check and the tag table, failing
// the test on anything out of bounds. It is written against ICC.1:2001-04,
// not against the builder, so that a mistake in one shows in the other.
func parse(t *testing.T, p []byte) map[string]parsedTag {
	t.Helper()
	if len(p) < 132 {
		t.Fatalf("profile is %d bytes, shorter than header and tag count", len(p))
	}
	be := binary.BigEndian
	if got := be.Uint32(p[0:]); int(got) != len(p) {
		t.Errorf("size field %d, file is %d bytes", got, len(p))
	}
	checks := []struct {
		name      string
		at        int
		want, got string
	}{
		{"CMM", 4, "\x00\x00\x00\x00", ""},
		{"version", 8, "\x02\x10\x00\x00", ""},
		{"class", 12, "mntr", ""},
		{"colour space", 16, "RGB ", ""},
		{"PCS", 20, "XYZ ", ""},
		{"signature", 36, "acsp", ""},
		{"rendering intent", 64, "\x00\x00\x00\x00", ""},
		{"profile ID", 84, strings.Repeat("\x00", 16), ""},
	}
	for _, c := range checks {
		if got := string(p[c.at : c.at+len(c.want)]); got != c.want {
			t.Errorf("header %s = %q, want %q", c.name, got, c.want)
		}
	}
	if y := be.Uint16(p[24:]); y < 1994 || y > 2100 || be.Uint16(p[26:]) == 0 || be.Uint16(p[28:]) == 0 {
		t.Errorf("creation date %x is not a plausible date", p[24:36])
	}
	// D50 as ICC.1 encodes it: 0.9642, 1.0, 0.8249 rounded to s15Fixed16.
	if got := p[68:80]; !bytes.Equal(got, []byte{0, 0, 0xf6, 0xd6, 0, 1, 0, 0, 0, 0, 0xd3, 0x2d}) {
		t.Errorf("PCS illuminant %x, want D50 0000f6d6 00010000 0000d32d", got)
	}

	n := int(be.Uint32(p[128:]))
	if 132+12*n > len(p) {
		t.Fatalf("tag table of %d entries runs past the end", n)
	}
	tags := map[string]parsedTag{}
	for i := range n {
		e := p[132+12*i:]
		sig := string(e[:4])
		off, size := int(be.Uint32(e[4:])), int(be.Uint32(e[8:]))
		if off < 132+12*n || off+size > len(p) || size < 8 {
			t.Fatalf("tag %q at %d+%d lies outside the data area (file %d)", sig, off, size, len(p))
		}
		if off%4 != 0 {
			t.Errorf("tag %q at offset %d is not 4-byte aligned", sig, off)
		}
		if _, dup := tags[sig]; dup {
			t.Errorf("tag %q listed twice", sig)
		}
		tags[sig] = parsedTag{off, size, p[off : off+size]}
	}
	return tags
}

func readXYZ(b []byte) [3]float64 {
	var v [3]float64
	for i := range v {
		v[i] = float64(int32(binary.BigEndian.Uint32(b[4*i:]))) / 65536
	}
	return v
}

func TestStructure(t *testing.T) {
	p := SRGB()
	tags := parse(t, p)

	// Required for a v2 RGB matrix/TRC display profile (ICC.1:2001-04, 6.3
	// and 6.3.1.2), with the type each must have.
	want := map[string]string{
		"desc": "desc", "cprt": "text", "wtpt": "XYZ ",
		"rXYZ": "XYZ ", "gXYZ": "XYZ ", "bXYZ": "XYZ ",
		"rTRC": "curv", "gTRC": "curv", "bTRC": "curv",
	}
	for sig, typ := range want {
		tg, ok := tags[sig]
		if !ok {
			t.Errorf("required tag %q missing", sig)
			continue
		}
		if got := string(tg.data[:4]); got != typ {
			t.Errorf("tag %q has type %q, want %q", sig, got, typ)
		}
		if !bytes.Equal(tg.data[4:8], []byte{0, 0, 0, 0}) {
			t.Errorf("tag %q reserved bytes %x", sig, tg.data[4:8])
		}
	}
	if _, ok := tags["chad"]; ok {
		t.Error("chad tag present in a v2 profile")
	}
	if t.Failed() {
		return
	}

	t.Run("desc", func(t *testing.T) {
		d := tags["desc"].data
		n := int(binary.BigEndian.Uint32(d[8:]))
		if n != len(Description)+1 {
			t.Fatalf("ASCII count %d, want %d", n, len(Description)+1)
		}
		if got := string(d[12 : 12+n]); got != Description+"\x00" {
			t.Errorf("ASCII %q, want %q", got, Description+"\x00")
		}
		// Unicode language+count, ScriptCode code+count, then 67 bytes.
		rest := d[12+n:]
		if len(rest) != 4+4+2+1+67 {
			t.Errorf("after the ASCII: %d bytes, want %d", len(rest), 4+4+2+1+67)
		}
		if uc := binary.BigEndian.Uint32(rest[4:]); uc != 0 {
			t.Errorf("Unicode count %d, want 0", uc)
		}
		if sc := rest[10]; sc != 0 {
			t.Errorf("ScriptCode count %d, want 0", sc)
		}
	})

	t.Run("cprt", func(t *testing.T) {
		d := tags["cprt"].data
		if d[len(d)-1] != 0 || bytes.IndexByte(d[8:], 0) != len(d)-9 {
			t.Errorf("cprt text %q is not one NUL-terminated string", d[8:])
		}
	})

	t.Run("white and primaries", func(t *testing.T) {
		d50 := [3]float64{0.9642, 1, 0.8249}
		w := readXYZ(tags["wtpt"].data[8:])
		r := readXYZ(tags["rXYZ"].data[8:])
		g := readXYZ(tags["gXYZ"].data[8:])
		b := readXYZ(tags["bXYZ"].data[8:])
		// Reference: the Bradford-adapted sRGB primaries, to 4 digits.
		ref := [3][3]float64{
			{0.4361, 0.2225, 0.0139},
			{0.3851, 0.7169, 0.0971},
			{0.1431, 0.0606, 0.7141},
		}
		for c, got := range [3][3]float64{r, g, b} {
			for i := range 3 {
				if math.Abs(got[i]-ref[c][i]) > 5e-4 {
					t.Errorf("primary %c[%d] = %.5f, want %.4f", "RGB"[c], i, got[i], ref[c][i])
				}
			}
		}
		for i := range 3 {
			if math.Abs(w[i]-d50[i]) > 1.0/65536 {
				t.Errorf("wtpt[%d] = %.6f, want D50 %.4f", i, w[i], d50[i])
			}
			sum := r[i] + g[i] + b[i]
			if math.Abs(sum-d50[i]) > 3.0/65536 {
				t.Errorf("primaries sum[%d] = %.6f, want D50 %.4f", i, sum, d50[i])
			}
		}
	})

	t.Run("curves", func(t *testing.T) {
		r, g, b := tags["rTRC"], tags["gTRC"], tags["bTRC"]
		if !bytes.Equal(r.data, g.data) || !bytes.Equal(r.data, b.data) {
			t.Fatal("the three TRCs differ")
		}
		d := r.data
		n := int(binary.BigEndian.Uint32(d[8:]))
		if n != 1024 || len(d) != 12+2*n {
			t.Fatalf("curve has %d entries in a %d-byte tag, want 1024 in %d", n, len(d), 12+2*1024)
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(binary.BigEndian.Uint16(d[12+2*i:]))
		}
		if v[0] != 0 || v[n-1] != 65535 {
			t.Errorf("endpoints %v, %v; want 0, 65535", v[0], v[n-1])
		}
		for i := 1; i < n; i++ {
			if v[i] < v[i-1] {
				t.Fatalf("curve decreases at entry %d: %v after %v", i, v[i], v[i-1])
			}
		}
		// 0.5 lies between entries 511 and 512; interpolate as a CMM does.
		x := 0.5 * float64(n-1)
		i := int(x)
		mid := (v[i] + (x-float64(i))*(v[i+1]-v[i])) / 65535
		if math.Abs(mid-0.2140) > 1e-3 {
			t.Errorf("curve(0.5) = %.4f, want sRGB 0.2140", mid)
		}
	})
}

func TestDeterministic(t *testing.T) {
	if !bytes.Equal(buildSRGB(), buildSRGB()) {
		t.Error("two builds differ; PDFs would not be reproducible")
	}
}

// TestLittleCMS has a real colour-management engine load the profile and
// convert through it, which catches what a structural check cannot: a
// table the engine rejects or primaries that give the wrong colours.
func TestLittleCMS(t *testing.T) {
	if _, err := exec.LookPath("transicc"); err != nil {
		t.Fatal("transicc not found: run make deps")
	}
	path := filepath.Join(t.TempDir(), "srgb.icc")
	if err := os.WriteFile(path, SRGB(), 0o644); err != nil {
		t.Fatal(err)
	}
	in := [][3]int{{255, 255, 255}, {128, 128, 128}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}}

	// Expected values: CIELAB (D50) of the sRGB colours, as the ICC PCS
	// defines them.
	want := [][3]float64{
		{100, 0, 0},
		{53.6, 0, 0},
		{54.3, 80.8, 69.9},
		{87.8, -79.3, 80.9},
		{29.6, 68.3, -112.0},
		{0, 0, 0},
	}
	tol := [][3]float64{
		{0.1, 0.1, 0.1},
		{0.5, 0.2, 0.2},
		{2, 2, 2},
		{2, 2, 2},
		{2, 2, 2},
		{0.1, 0.1, 0.1},
	}
	for _, intent := range []struct {
		name, flag string
	}{
		{"perceptual", "-t0"},
		{"relative", "-t1"},
		// Absolute colorimetric uses wtpt: a D65 wtpt would tint white here.
		{"absolute", "-t3"},
	} {
		t.Run(intent.name, func(t *testing.T) {
			got := transicc(t, in, "-i"+path, "-o*Lab", intent.flag)
			for k := range in {
				for c := range 3 {
					if math.Abs(got[k][c]-want[k][c]) > tol[k][c] {
						t.Errorf("RGB %v → Lab %.2f, want %.1f (±%v)", in[k], got[k], want[k], tol[k])
						break
					}
				}
			}
		})
	}

	// LittleCMS's built-in sRGB is an independent construction of the same
	// colour space; over a grid of colours the two must agree closely.
	t.Run("matches built-in sRGB", func(t *testing.T) {
		var grid [][3]int
		for _, r := range []int{0, 10, 64, 128, 200, 255} {
			for _, g := range []int{0, 10, 64, 128, 200, 255} {
				for _, b := range []int{0, 10, 64, 128, 200, 255} {
					grid = append(grid, [3]int{r, g, b})
				}
			}
		}
		ours := transicc(t, grid, "-i"+path, "-o*Lab", "-t1")
		ref := transicc(t, grid, "-i*sRGB", "-o*Lab", "-t1")
		for k := range grid {
			var de float64
			for c := range 3 {
				de += (ours[k][c] - ref[k][c]) * (ours[k][c] - ref[k][c])
			}
			if de = math.Sqrt(de); de > 0.5 {
				t.Errorf("RGB %v: ours Lab %.2f, built-in %.2f, ΔE %.2f", grid[k], ours[k], ref[k], de)
			}
		}
	})
}

// transicc converts RGB triples through LittleCMS's transicc and returns
// the three output numbers of each.
func transicc(t *testing.T, in [][3]int, args ...string) [][3]float64 {
	t.Helper()
	var stdin strings.Builder
	for _, v := range in {
		fmt.Fprintf(&stdin, "%d %d %d\n", v[0], v[1], v[2])
	}
	cmd := exec.Command("transicc", append(args, "-n")...)
	cmd.Stdin = strings.NewReader(stdin.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transicc %v: %v\n%s", args, err, stderr.String())
	}
	if strings.Contains(stderr.String(), "error") {
		t.Fatalf("transicc %v complained:\n%s", args, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(in) {
		t.Fatalf("transicc %v: %d lines for %d inputs:\n%s", args, len(lines), len(in), out)
	}
	res := make([][3]float64, len(in))
	for k, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("transicc line %q: want 3 numbers", l)
		}
		for c := range 3 {
			v, err := strconv.ParseFloat(f[c], 64)
			if err != nil {
				t.Fatalf("transicc line %q: %v", l, err)
			}
			res[k][c] = v
		}
	}
	return res
}
