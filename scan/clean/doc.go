// Package clean straightens and tidies page images before recognition:
// deskew, quarter-turn orientation (from a detector the caller supplies),
// border crop and punch holes, blank-page detection, perspective and
// lighting correction for phone photos, binarisation, page tone (bi-level,
// grey, colour) and quality warnings.
//
// It owns the non-destructive edit model: a page keeps its original image
// and a list of Edits; Render draws the cleaned page from the untouched
// original, so a person can undo any automatic edit by removing it from
// the list, and Geometry maps points between the two. Auto decides the
// automatic edits for one page and reports what it measured.
//
// How the decisions are made, all on a copy reduced to about 100 dpi
// (an A4 page is then a million pixels; Auto takes about 80 ms on one
// core for a 300 dpi A4 page, Render about 35 ms):
//
//   - Skew: projection profiles of the ink (Postl's method), a coarse sweep
//     with Leptonica's differential score, then a sub-pixel profile
//     weighted by darkness, to within a few hundredths of a degree.
//   - Line direction: the same profile across and along the page; text
//     lines make one far sharper than the other. Auto holds the
//     orientation detector (Tesseract's OSD, in package ocr) to it.
//   - Scanner background: dark areas solid over 2 mm squares, attached to
//     the image's edge (followed along it into the wedges a crooked
//     sheet leaves) and enclosing no white print; the crop then moves
//     each side in while its edge line is background, and never comes
//     within 2 mm of print. Punch holes are lone round dark discs near the
//     edge, painted with the paper's colour.
//   - Blank pages: marks at least 1.8 mm across, 25% darker than the paper
//     around them (on the second-darkest pixel of each reduced box, which
//     keeps a hairline and drops a speck) or coloured; bleed-through,
//     noise, dust and the scanner's background do not count.
//   - Photos: the largest bright region's convex hull gives the sheet's
//     quadrilateral; each side is refitted to the edge found to a tenth of
//     a pixel in the full image; the camera model recovers the sheet's
//     true proportions, so an A4 or Letter sheet comes out at its size.
//
// Consecutive geometric edits are fused and the page interpolated once,
// bilinearly; quarter turns and crops alone copy pixels exactly, so a
// bi-level scan stays bi-level.
//
// Everything here is a pure function of its arguments: the package must
// not do I/O (files, network, devices), must not import ocr, pdf or fyne,
// and never modifies an image it is given. It starts no goroutine.
package clean
