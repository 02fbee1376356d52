package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/demat-app/demat/assets"
)

// arabicFont is Noto Sans Arabic, shipped in assets.
var arabicFont = fyne.NewStaticResource("NotoSansArabic-Regular.ttf", assets.NotoSansArabic)

// Theme is Fyne's default theme, with text drawn in Noto Sans Arabic
// first when the window speaks Arabic.
//
// Fyne draws a rune in the theme's font when it has the glyph, else in
// its own Noto Sans (Latin), else in a system font: the default theme
// alone shows Arabic only where the system has an Arabic font, and boxes
// elsewhere. Noto Sans Arabic has the Arabic letters plus digits and
// basic punctuation, and Fyne's Noto Sans draws the rest (Latin in every
// style). Fyne shapes each run with HarfBuzz (go-text/typesetting), so
// Arabic letters join; bold Arabic is drawn regular (no bold face is
// shipped). In English and French the default font stays: Noto Sans
// Arabic's taller line metrics would push Latin labels off centre, and
// Arabic in a field there comes from the system's fonts.
type Theme struct {
	fyne.Theme
	arabic bool
}

// NewTheme returns the theme for a left-to-right window; the window
// switches it when its language is Arabic (translations are not loaded
// yet when the app is made, so the language cannot be asked here).
func NewTheme() *Theme { return &Theme{Theme: theme.DefaultTheme()} }

// Font returns Noto Sans Arabic for text in an Arabic window, and Fyne's
// own fonts otherwise and for monospace and symbols, which Arabic text
// never uses.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if !t.arabic || s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	return arabicFont
}
