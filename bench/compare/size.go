package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// colourScan tells the corpus pages that are colour scans of text: the
// typescripts photographed in colour by libraries and archives.
func colourScan(image string) bool {
	return strings.Contains(image, "03_french_tapuscorpus") && strings.HasSuffix(image, ".jpg")
}

// sizeChecks holds demat's files to their size promises against
// ocrmypdf's PDF/A: no larger per page overall, and for colour scans of
// text at most 40% of its bytes, with word recall, both of the text layer
// and of the page images read again, within a point of the files demat
// writes keeping the scans as they came.
func sizeChecks(env []string, work string, images, truths []string, lang string, dm, keep, om result) error {
	fmt.Printf("\nsize (bytes per page; pages split out with qpdf --split-pages):\n")
	dmPages, err := pageSizes(filepath.Join(work, "demat-clean.pdf"), work)
	if err != nil {
		return err
	}
	omPages, err := pageSizes(filepath.Join(work, "ocrmypdf.pdf"), work)
	if err != nil {
		return err
	}
	if len(dmPages) != len(images) || len(omPages) != len(images) {
		return fmt.Errorf("page counts: demat %d, ocrmypdf %d, want %d", len(dmPages), len(omPages), len(images))
	}
	var dmColour, omColour int64
	var colour []int
	for i, img := range images {
		mark := ""
		if colourScan(img) {
			dmColour += dmPages[i]
			omColour += omPages[i]
			colour = append(colour, i)
			mark = " (colour scan of text)"
		}
		fmt.Printf("  %-58s demat %8d  ocrmypdf %8d  %5.1f%%%s\n", filepath.Base(img), dmPages[i], omPages[i], 100*float64(dmPages[i])/float64(omPages[i]), mark)
	}
	dmPer, omPer := float64(dm.bytes)/float64(dm.pages), float64(om.bytes)/float64(om.pages)
	check(fmt.Sprintf("demat %.0f bytes/page ≤ ocrmypdf --output-type pdfa %.0f (%.0f%%)", dmPer, omPer, 100*dmPer/omPer), dmPer <= omPer)
	check(fmt.Sprintf("colour scans of text: demat %d bytes ≤ 40%% of ocrmypdf's %d (%.1f%%)", dmColour, omColour, 100*float64(dmColour)/float64(omColour)),
		float64(dmColour) <= 0.4*float64(omColour))
	check(fmt.Sprintf("text layer recall %.1f%% within 1 point of the scans kept as they came (%.1f%%)", 100*dm.recall, 100*keep.recall), dm.recall >= keep.recall-0.01)

	// What the stored images still show: the colour scans rendered from
	// both files and read again by tesseract.
	var got, kept, sub []string
	for _, i := range colour {
		a, err := reread(env, filepath.Join(work, "demat-clean.pdf"), i+1, lang, work)
		if err != nil {
			return err
		}
		b, err := reread(env, filepath.Join(work, "demat-keep.pdf"), i+1, lang, work)
		if err != nil {
			return err
		}
		got, kept, sub = append(got, a), append(kept, b), append(sub, truths[i])
	}
	rg, rk := recall(got, sub), recall(kept, sub)
	check(fmt.Sprintf("colour scans rendered and read again: recall %.1f%% within 1 point of the scans kept as they came (%.1f%%)", 100*rg, 100*rk), rg >= rk-0.01)
	return nil
}

// pageSizes splits a PDF into one file per page and gives their sizes.
func pageSizes(path, work string) ([]int64, error) {
	dir, err := os.MkdirTemp(work, "split-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command("qpdf", "--split-pages", path, filepath.Join(dir, "p.pdf")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("qpdf --split-pages %s: %v %s", path, err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.pdf"))
	slices.Sort(files) // zero-padded page numbers
	var sizes []int64
	for _, f := range files {
		sizes = append(sizes, size(f))
	}
	return sizes, nil
}

// reread renders one page at 300 dpi and recognises it with tesseract.
func reread(env []string, path string, page int, lang, work string) (string, error) {
	png := filepath.Join(work, "reread")
	n := fmt.Sprint(page)
	if out, err := exec.Command("pdftoppm", "-r", "300", "-f", n, "-l", n, "-singlefile", "-png", path, png).CombinedOutput(); err != nil {
		return "", fmt.Errorf("pdftoppm: %v %s", err, out)
	}
	cmd := exec.Command("tesseract", png+".png", "-", "-l", lang)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("tesseract: %v", err)
	}
	return string(out), nil
}
