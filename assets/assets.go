package assets

import _ "embed"

// GlyphlessFont is the TrueType font Tesseract's own PDF renderer uses for the
// invisible text layer: one empty glyph, so any code point can be placed and
// searched without drawing anything. From tesseract-ocr (Apache-2.0), see
// fonts/README.md.
//
//go:embed fonts/glyphless.ttf
var GlyphlessFont []byte
