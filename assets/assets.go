package assets

import "embed"

// GlyphlessFont is the TrueType font Tesseract's own PDF renderer uses for the
// invisible text layer: one empty glyph, so any code point can be placed and
// searched without drawing anything. From tesseract-ocr (Apache-2.0), see
// fonts/README.md.
//
//go:embed fonts/glyphless.ttf
var GlyphlessFont []byte

// NotoSans is Noto Sans Regular (Latin, Greek, Cyrillic), the font the
// visible signature block is drawn with: the block is rendered to an image,
// so a PDF/A keeps no font it would have to embed. SIL OFL 1.1, see
// fonts/README.md and fonts/OFL.txt.
//
//go:embed fonts/NotoSans-Regular.ttf
var NotoSans []byte

// NotoSansArabic is Noto Sans Arabic Regular, drawn with NotoSans for
// Arabic names, places and reasons in the signature block (Noto Sans has
// no Arabic). SIL OFL 1.1, see fonts/README.md and fonts/OFL.txt.
//
//go:embed fonts/NotoSansArabic-Regular.ttf
var NotoSansArabic []byte

// Translations holds the window's translations, one go-i18n JSON file per
// language (en.json, fr.json, ar.json), loaded with
// lang.AddTranslationsFS(Translations, "translations"). ar.json also
// translates the words of Fyne's own dialogs, which Fyne ships no Arabic
// for.
//
//go:embed translations
var Translations embed.FS

// SamplePage is a page to try demat with when there is no scanner and
// nothing to import: a short French letter with an English line, made
// for demat (typeset in Noto Sans, turned by 0.8° as a scan would be),
// 1240 × 1754 pixels at 150 dpi (A4). Same licence as demat.
//
//go:embed sample-page.png
var SamplePage []byte
