package main

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

// cleanupCase is a page given crooked, turned or photographed, read by
// demat with its default cleanup, against the same page given upright and
// flat.
type cleanupCase struct {
	name  string
	input string // relative to the corpus, or to the work folder for photos
	truth string
	// upright is the straight original the case is held to; slack is how
	// much less recall it may have.
	upright string
	slack   float64
	flags   []string
	// photo: input is made here by photographing upright.
	photo bool
}

var cleanupCases = []cleanupCase{
	{name: "skew.pdf (linn, crooked)", input: "02_ocrmypdf_resources/skew.pdf", truth: "02_ocrmypdf_resources/linn.txt", upright: "02_ocrmypdf_resources/linn.png", slack: 0.01},
	{name: "cardinal.pdf (linn, 4 turns)", input: "02_ocrmypdf_resources/cardinal.pdf", truth: "02_ocrmypdf_resources/linn.txt", upright: "02_ocrmypdf_resources/linn.png", slack: 0.01},
	{name: "phototest-rotated-180", input: "01_tesseract_testing/phototest-rotated-180.png", truth: "01_tesseract_testing/phototest.txt", upright: "01_tesseract_testing/phototest.tif", slack: 0.01},
	{name: "phototest-rotated-L", input: "01_tesseract_testing/phototest-rotated-L.png", truth: "01_tesseract_testing/phototest.txt", upright: "01_tesseract_testing/phototest.tif", slack: 0.01},
	{name: "phototest-rotated-R", input: "01_tesseract_testing/phototest-rotated-R.png", truth: "01_tesseract_testing/phototest.txt", upright: "01_tesseract_testing/phototest.tif", slack: 0.01},
	{name: "phone photo of dracula", photo: true, truth: "05_english_fondue_print20/dracula_page_52.gt.txt", upright: "05_english_fondue_print20/dracula_page_52.png", slack: 0.03, flags: []string{"--photo"}},
	{name: "phone photo of linn", photo: true, truth: "02_ocrmypdf_resources/linn.txt", upright: "02_ocrmypdf_resources/linn.png", slack: 0.03, flags: []string{"--photo"}},
}

// cleanupChecks holds demat's cleanup to its promise: a crooked, turned or
// photographed page reads as well as the page upright (every page of a
// multi-page input is compared with the upright page).
func cleanupChecks(env []string, demat, corpus, lang, work string) error {
	fmt.Printf("\ncleanup: word recall against the ground truth, page given crooked/turned/photographed vs upright\n")
	upright := map[string]float64{}
	for i, c := range cleanupCases {
		truth, err := groundTruth(filepath.Join(corpus, c.truth))
		if err != nil {
			return err
		}
		base, ok := upright[c.upright]
		if !ok {
			out := filepath.Join(work, fmt.Sprintf("upright-%d.pdf", i))
			if err := runPlain(env, demat, filepath.Join(corpus, c.upright), out, lang); err != nil {
				return err
			}
			base = recall([]string{pdfText(out)}, []string{truth})
			upright[c.upright] = base
		}
		in := filepath.Join(corpus, c.input)
		if c.photo {
			in = filepath.Join(work, fmt.Sprintf("photo-%d.jpg", i))
			if err := photograph(filepath.Join(corpus, c.upright), in); err != nil {
				return err
			}
		}
		out := filepath.Join(work, fmt.Sprintf("cleanup-%d.pdf", i))
		if err := runPlain(env, demat, in, out, lang, c.flags...); err != nil {
			return err
		}
		n := 0
		for k, p := range strings.Split(pdfText(out), "\f") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			n++
			r := recall([]string{p}, []string{truth})
			check(fmt.Sprintf("%-30s p%d recall %.3f vs upright %.3f (within %.0f%%)", c.name, k+1, r, base, 100*c.slack), r >= base-c.slack)
		}
		if n == 0 {
			check(fmt.Sprintf("%-30s no text came out", c.name), false)
		}
	}
	return nil
}

// runPlain runs demat process on one input with the default cleanup.
func runPlain(env []string, demat, in, out, lang string, flags ...string) error {
	args := append([]string{"process", "-f", "-l", lang, "-o", out}, flags...)
	_, _, err := measureOnce(env, demat, append(args, in)...)
	return err
}

// photograph fakes a phone photo of a page (12 Mpx is what phones take;
// 2400×3200 keeps the bench short): tilted 18° and −10°, turned 4°, under
// uneven light on a darker table, saved as a phone saves it.
func photograph(page, out string) error {
	var img image.Image
	err := file.ReadFile(context.Background(), page, file.Options{}, func(p scan.Page) error {
		var err error
		img, err = p.Pixels()
		return err
	})
	if err != nil {
		return err
	}
	const w, h = 2400, 3200
	photo := testenv.Photograph(img, testenv.Camera(18, -10, 4, w, h), w, h, 7)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, photo, &jpeg.Options{Quality: 92}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runCleanup runs the cleanup checks alone.
func runCleanup(demat, corpus, lang, work string) error {
	work, done, err := workDir(work)
	if err != nil {
		return err
	}
	defer done()
	return cleanupChecks(append(os.Environ(), "OMP_THREAD_LIMIT=1"), demat, corpus, lang, work)
}
