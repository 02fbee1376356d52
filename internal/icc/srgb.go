package icc

import (
	"encoding/binary"
	"math"
	"sync"
)

// Description is the profile's description tag text, which PDF/A writers
// also use as OutputConditionIdentifier/Info: "sRGB IEC61966-2.1".
const Description = "sRGB IEC61966-2.1"

// copyright goes in the cprt tag. The profile is computed here from the
// public sRGB definition, so there is nobody else's copyright to state.
const copyright = "No copyright, use freely"

// SRGB returns the profile's bytes (built once; callers must not modify
// them). Sharing one slice avoids rebuilding the 1024-entry curves for
// every document written.
func SRGB() []byte { return srgbOnce() }

var srgbOnce = sync.OnceValue(buildSRGB)

// d50 is the ICC profile connection space illuminant, as the header and
// the v2 specification give it (ICC.1:2001-04, 6.1 and A.1).
var d50 = [3]float64{0.9642, 1.0, 0.8249}

// curveEntries is the TRC resolution: 1024 samples keep the interpolation
// error of the sRGB curve well under one 8-bit step, at 2 KiB of file.
const curveEntries = 1024

// tag is one entry of the tag table; tags with equal data share one block.
type tag struct {
	sig  string
	data []byte
}

func buildSRGB() []byte {
	desc := textDescription(Description)
	trc := curve()
	rgb := encodePrimaries(primariesD50())
	// The media white point is D50, not the D65 of the classic HP/Microsoft
	// profile: a v2 display profile's matrix columns are already adapted to
	// D50, and the ICC's own v2 sRGB profile (sRGB2014.icc) and its errata
	// to ICC.1:2001-04 say the wtpt of a display profile is then the PCS
	// white. With D65 here, engines that honour wtpt would tint white under
	// absolute colorimetric rendering, and no chad tag exists in v2 to say
	// how D65 became D50.
	tags := []tag{
		{"desc", desc},
		{"cprt", text(copyright)},
		{"wtpt", xyz(encode(d50))},
		{"rXYZ", xyz(rgb[0])},
		{"gXYZ", xyz(rgb[1])},
		{"bXYZ", xyz(rgb[2])},
		// The three TRCs point at the same block, which the ICC allows
		// (tags may share data); it saves 4 KiB.
		{"rTRC", trc},
		{"gTRC", trc},
		{"bTRC", trc},
	}
	return assemble(tags)
}

// assemble lays out the header, the tag table and the tag data, each tag
// starting on a 4-byte boundary as ICC.1 requires.
func assemble(tags []tag) []byte {
	const headerSize = 128
	tableSize := 4 + 12*len(tags)
	out := make([]byte, headerSize+tableSize)
	binary.BigEndian.PutUint32(out[headerSize:], uint32(len(tags)))

	type block struct{ off, size int }
	placed := map[*byte]block{}
	for i, t := range tags {
		bl, ok := placed[&t.data[0]]
		if !ok {
			for len(out)%4 != 0 {
				out = append(out, 0)
			}
			bl = block{len(out), len(t.data)}
			out = append(out, t.data...)
			placed[&t.data[0]] = bl
		}
		e := out[headerSize+4+12*i:]
		copy(e[0:4], t.sig)
		binary.BigEndian.PutUint32(e[4:], uint32(bl.off))
		binary.BigEndian.PutUint32(e[8:], uint32(bl.size))
	}
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	header(out[:headerSize], len(out))
	return out
}

// header fills the 128-byte profile header. Fields left zero (CMM, platform,
// flags, manufacturer, model, attributes, creator, profile ID) are allowed
// to be zero; the profile ID in particular is reserved in v2.
func header(h []byte, size int) {
	be := binary.BigEndian
	be.PutUint32(h[0:], uint32(size))
	be.PutUint32(h[8:], 0x02100000) // version 2.1.0
	copy(h[12:], "mntr")
	copy(h[16:], "RGB ")
	copy(h[20:], "XYZ ")
	// A fixed creation date keeps the PDFs demat writes byte-for-byte
	// reproducible.
	for i, v := range []uint16{2024, 1, 1, 0, 0, 0} {
		be.PutUint16(h[24+2*i:], v)
	}
	copy(h[36:], "acsp")
	be.PutUint32(h[64:], 0) // rendering intent: perceptual
	for i, v := range encode(d50) {
		be.PutUint32(h[68+4*i:], uint32(v))
	}
}

// textDescription encodes a v2 textDescriptionType: the ASCII text with its
// NUL, then empty Unicode and ScriptCode parts, which v2 readers still
// expect to find (the ScriptCode part has a fixed 67-byte field).
func textDescription(s string) []byte {
	b := make([]byte, 0, 12+len(s)+1+8+3+67)
	b = append(b, "desc\x00\x00\x00\x00"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)+1))
	b = append(b, s...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, 0) // Unicode language code
	b = binary.BigEndian.AppendUint32(b, 0) // Unicode count
	b = binary.BigEndian.AppendUint16(b, 0) // ScriptCode code
	b = append(b, 0)                        // ScriptCode count
	return append(b, make([]byte, 67)...)
}

// text encodes a textType: NUL-terminated ASCII.
func text(s string) []byte {
	b := append([]byte("text\x00\x00\x00\x00"), s...)
	return append(b, 0)
}

// xyz encodes an XYZType holding one value.
func xyz(v [3]int32) []byte {
	b := []byte("XYZ \x00\x00\x00\x00")
	for _, c := range v {
		b = binary.BigEndian.AppendUint32(b, uint32(c))
	}
	return b
}

// curve encodes a curveType sampling the sRGB decoding function.
func curve() []byte {
	b := []byte("curv\x00\x00\x00\x00")
	b = binary.BigEndian.AppendUint32(b, curveEntries)
	for i := range curveEntries {
		v := sRGBToLinear(float64(i) / (curveEntries - 1))
		b = binary.BigEndian.AppendUint16(b, uint16(math.Round(v*65535)))
	}
	return b
}

// sRGBToLinear is the IEC 61966-2.1 decoding function.
func sRGBToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// s15f16 rounds to the ICC s15Fixed16Number.
func s15f16(v float64) int32 { return int32(math.Round(v * 65536)) }

// encode rounds an XYZ triple to s15Fixed16Numbers.
func encode(v [3]float64) [3]int32 {
	return [3]int32{s15f16(v[0]), s15f16(v[1]), s15f16(v[2])}
}

// encodePrimaries rounds the primaries so that, once encoded, they still
// add up exactly to the encoded D50 white: rounding each alone can leave
// the sum a unit off, which makes RGB white map to a Lab white that is not
// quite neutral. The residual goes to the largest of the three values,
// where it changes the colour least.
func encodePrimaries(r, g, b [3]float64) [3][3]int32 {
	e := [3][3]int32{encode(r), encode(g), encode(b)}
	white := encode(d50)
	for i := range 3 {
		biggest := 0
		for c := range 3 {
			if e[c][i] > e[biggest][i] {
				biggest = c
			}
		}
		e[biggest][i] += white[i] - (e[0][i] + e[1][i] + e[2][i])
	}
	return e
}

// primariesD50 gives the XYZ of the sRGB red, green and blue, adapted from
// D65 to the D50 PCS with the Bradford transform, as ICC.1 Annex E asks of
// display profiles. They are derived from the chromaticities of
// IEC 61966-2.1 rather than copied as rounded constants, so that they sum
// exactly to the PCS white: tables built for D50 = 0.96422 1 0.82521
// (Lindbloom's, say) put blue Z about 3e-4 higher, and RGB white would then
// land beside the PCS white.
func primariesD50() (r, g, b [3]float64) {
	// Chromaticities of the sRGB primaries and of its D65 white.
	prim := [3][2]float64{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}
	d65 := fromXY(0.3127, 0.3290)

	// RGB→XYZ (D65): columns are the primaries, scaled so that
	// R=G=B=1 gives the white.
	var p mat
	for j, c := range prim {
		v := fromXY(c[0], c[1])
		for i := range 3 {
			p[i][j] = v[i]
		}
	}
	s := p.inv().apply(d65)
	for i := range 3 {
		for j := range 3 {
			p[i][j] *= s[j]
		}
	}

	// Bradford: into cone space, scale by the ratio of the whites, back.
	brad := mat{
		{0.8951, 0.2664, -0.1614},
		{-0.7502, 1.7135, 0.0367},
		{0.0389, -0.0685, 1.0296},
	}
	src, dst := brad.apply(d65), brad.apply(d50)
	var scale mat
	for i := range 3 {
		scale[i][i] = dst[i] / src[i]
	}
	m := brad.inv().mul(scale).mul(brad).mul(p)
	for i := range 3 {
		r[i], g[i], b[i] = m[i][0], m[i][1], m[i][2]
	}
	return r, g, b
}

// fromXY gives the XYZ of a chromaticity at Y=1.
func fromXY(x, y float64) [3]float64 {
	return [3]float64{x / y, 1, (1 - x - y) / y}
}

type mat [3][3]float64

func (a mat) mul(b mat) mat {
	var c mat
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

func (a mat) apply(v [3]float64) [3]float64 {
	var r [3]float64
	for i := range 3 {
		for k := range 3 {
			r[i] += a[i][k] * v[k]
		}
	}
	return r
}

// inv inverts by cofactors; the matrices here are well conditioned.
func (a mat) inv() mat {
	var c mat
	for i := range 3 {
		for j := range 3 {
			i1, i2 := (i+1)%3, (i+2)%3
			j1, j2 := (j+1)%3, (j+2)%3
			c[j][i] = a[i1][j1]*a[i2][j2] - a[i1][j2]*a[i2][j1]
		}
	}
	det := a[0][0]*c[0][0] + a[0][1]*c[1][0] + a[0][2]*c[2][0]
	for i := range 3 {
		for j := range 3 {
			c[i][j] /= det
		}
	}
	return c
}
