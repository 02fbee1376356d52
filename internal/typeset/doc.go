// Package typeset shapes and draws lines of text in the Noto fonts of
// package assets (Noto Sans, and Noto Sans Arabic joined and ordered
// right to left with go-text/typesetting), and encodes QR codes as grids
// of modules: what the signature block, the arrival stamp and the
// depositor's receipt draw is drawn with it, so they look alike and
// Arabic is handled in one place.
//
// It draws into rasterizers, images and vector paths (typeset.Path); it
// must not write PDFs.
package typeset
