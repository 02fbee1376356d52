package pdf

import (
	"github.com/klauspost/compress/zlib"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/demat-app/demat/assets"
)

// The text layer's font: a Type 0 font over a CIDFontType2 whose every CID
// is drawn with the single empty glyph of the embedded glyphless TrueType
// font, and whose CIDs are the text's UTF-16 code units (ToUnicode is the
// identity). Every glyph is half an em wide; words are stretched to their
// box with Tz. This is the layout of Tesseract's PDF renderer.
const (
	fontName  = "GlyphLessFont"
	charWidth = 500 // glyph advance, in thousandths of an em
	// The font size is the OCR line's height: ascenders, x-height and
	// descenders. Words reach 0.6–0.8 of it above the baseline (x-height
	// or ascenders) and 0–0.2 below (descenders); these metrics put the
	// box extractors and viewers draw around a word within a tenth of the
	// line height of the word's real box, whatever its letters.
	ascent  = 700
	descent = -100
)

const toUnicodeCMap = `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo
<<
  /Registry (Adobe)
  /Ordering (UCS)
  /Supplement 0
>> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
`

// writeFont writes the font objects and returns the Type 0 font's number.
func (pw *Writer) writeFont() int {
	// Every CID → glyph 1: 65536 big-endian 16-bit entries.
	gids := make([]byte, 2*65536)
	for i := 1; i < len(gids); i += 2 {
		gids[i] = 1
	}
	flate := types.Dict{"Filter": types.Name("FlateDecode")}
	cidToGID := pw.stream(0, flate.Clone().(types.Dict), deflate(gids, zlib.BestCompression))
	toUnicode := pw.stream(0, flate.Clone().(types.Dict), deflate([]byte(toUnicodeCMap), zlib.BestCompression))
	ff := flate.Clone().(types.Dict)
	ff["Length1"] = types.Integer(len(assets.GlyphlessFont))
	fontFile := pw.stream(0, ff, deflate(assets.GlyphlessFont, zlib.BestCompression))
	desc := pw.object(0, types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name(fontName),
		"FontBBox":    types.Array{types.Integer(0), types.Integer(descent), types.Integer(charWidth), types.Integer(ascent)},
		"Ascent":      types.Integer(ascent),
		"CapHeight":   types.Integer(ascent),
		"Descent":     types.Integer(descent),
		"Flags":       types.Integer(5), // fixed pitch, symbolic
		"ItalicAngle": types.Integer(0),
		"StemV":       types.Integer(80),
		"FontFile2":   *types.NewIndirectRef(fontFile, 0),
	})
	cid := pw.object(0, types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name(fontName),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"CIDToGIDMap":    *types.NewIndirectRef(cidToGID, 0),
		"FontDescriptor": *types.NewIndirectRef(desc, 0),
		"DW":             types.Integer(charWidth),
	})
	return pw.object(0, types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name(fontName),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{*types.NewIndirectRef(cid, 0)},
		"ToUnicode":       *types.NewIndirectRef(toUnicode, 0),
	})
}
