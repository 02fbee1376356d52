// Command compare measures demat against plain tesseract and ocrmypdf on
// pages of the shared corpus: wall time, pages per minute, peak memory,
// bytes per page, and word recall of the extracted text against the ground
// truth. `make bench` runs it; it prints one table and the checks the
// project holds itself to.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
)

// page is one corpus page and its ground truth (plain text, or ALTO/PAGE
// XML whose text is taken).
type page struct{ image, truth string }

var pages = []page{
	{"01_tesseract_testing/phototest.tif", "01_tesseract_testing/phototest.txt"},
	{"01_tesseract_testing/eurotext.tif", "01_tesseract_testing/eurotext.txt"},
	{"01_tesseract_testing/8087_054.3B.tif", "01_tesseract_testing/8087_054.3B.txt"},
	{"02_ocrmypdf_resources/linn.png", "02_ocrmypdf_resources/linn.txt"},
	{"05_english_fondue_print20/dracula_page_52.png", "05_english_fondue_print20/dracula_page_52.gt.txt"},
	{"03_french_tapuscorpus/12148-btv1b10583038c_24_ac2b1_default.jpg", "03_french_tapuscorpus/12148-btv1b10583038c_24_ac2b1_default.gt.txt"},
	{"03_french_tapuscorpus/12148-btv1b525062185_3_eac6a_default.jpg", "03_french_tapuscorpus/12148-btv1b525062185_3_eac6a_default.gt.txt"},
	{"03_french_tapuscorpus/12148-btv1b53097347b_13_3536f_default.jpg", "03_french_tapuscorpus/12148-btv1b53097347b_13_3536f_default.gt.txt"},
	{"03_french_tapuscorpus/AN96AP-journal1914_FRAN_0150_0002.jpg", "03_french_tapuscorpus/AN96AP-journal1914_FRAN_0150_0002.gt.txt"},
	{"03_french_tapuscorpus/europeana_21574_page_2.png", "03_french_tapuscorpus/europeana_21574_page_2.gt.txt"},
}

// runs is how many times each command is measured.
var runs = 3

type result struct {
	name    string
	wall    time.Duration
	pages   int
	rssKB   int64
	bytes   int64
	recall  float64
	comment string
}

func main() {
	demat := flag.String("demat", "bin/demat", "the demat binary to measure")
	corpus := flag.String("corpus", "../shared/corpus", "the shared corpus folder")
	lang := flag.String("lang", "fra+eng", "OCR languages, the same for every tool")
	jobs := flag.Int("jobs", 2, "parallel pages for demat and ocrmypdf")
	big := flag.Int("repeat", 5, "the memory check runs the pages this many times over")
	only := flag.String("only", "", "run one part: cleanup (the recall of crooked, turned and photographed pages)")
	work := flag.String("work", "", "folder for outputs (default: a temporary one)")
	flag.IntVar(&runs, "runs", 3, "runs of each measurement; the table shows medians (machines are noisy)")
	flag.Parse()
	var err error
	if *only == "cleanup" {
		err = runCleanup(*demat, *corpus, *lang, *work)
	} else {
		err = run(*demat, *corpus, *lang, *jobs, *big, *work)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(demat, corpus, lang string, jobs, repeat int, work string) error {
	if _, err := os.Stat(filepath.Join(corpus, "MANIFEST.md")); err != nil {
		return fmt.Errorf("the corpus is not at %s: this comparison needs ../shared/corpus (or make bench CORPUS=dir)", corpus)
	}
	for _, t := range []string{"tesseract", "ocrmypdf", "pdftotext", "pdftoppm", "qpdf", demat} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s not found: run make deps-bench build", t)
		}
	}
	work, done, err := workDir(work)
	if err != nil {
		return err
	}
	defer done()
	var images, truths []string
	for _, p := range pages {
		images = append(images, filepath.Join(corpus, p.image))
		t, err := groundTruth(filepath.Join(corpus, p.truth))
		if err != nil {
			return err
		}
		truths = append(truths, t)
	}
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1")
	fmt.Printf("%d corpus pages, languages %s, %d jobs, %d cores, median of %d runs\n\n", len(images), lang, jobs, runtime.NumCPU(), runs)

	var rows []result

	// Plain tesseract, one page at a time, single-threaded.
	tess := result{name: "tesseract (1 page at a time)", pages: len(images)}
	var texts []string
	for i, img := range images {
		out := filepath.Join(work, fmt.Sprintf("tess-%02d", i))
		d, rss, err := measure(env, "tesseract", img, out, "-l", lang, "pdf")
		if err != nil {
			return err
		}
		tess.wall += d
		tess.rssKB = max(tess.rssKB, rss)
		tess.bytes += size(out + ".pdf")
		texts = append(texts, pdfText(out+".pdf"))
	}
	tess.recall = recall(texts, truths)
	tess.comment = "sum of single-page runs"
	rows = append(rows, tess)

	// demat, doing what the others do (recognition alone: neither
	// tesseract nor ocrmypdf cleans pages by default), then as it runs by
	// default, cleaning every page.
	dm, err := runDemat(env, demat, images, filepath.Join(work, "demat.pdf"), lang, jobs, truths, "--no-clean")
	if err != nil {
		return err
	}
	rows = append(rows, dm)
	dmClean, err := runDemat(env, demat, images, filepath.Join(work, "demat-clean.pdf"), lang, jobs, truths)
	if err != nil {
		return err
	}
	dmClean.comment = "default: cleanup, storage by page kind"
	rows = append(rows, dmClean)
	dmKeep, err := runDemat(env, demat, images, filepath.Join(work, "demat-keep.pdf"), lang, jobs, truths, "--keep-color")
	if err != nil {
		return err
	}
	dmKeep.comment = "cleanup, scans stored as they came"
	rows = append(rows, dmKeep)

	// ocrmypdf on an image-only PDF of the same pages (built by demat's
	// reader and writer, so the pixels and page sizes are the same).
	in := filepath.Join(work, "input.pdf")
	if err := imageOnlyPDF(images, in); err != nil {
		return err
	}
	om := result{name: fmt.Sprintf("ocrmypdf --jobs %d", jobs), pages: len(images), comment: "--output-type pdfa, its default optimisation"}
	out := filepath.Join(work, "ocrmypdf.pdf")
	om.wall, om.rssKB, err = measure(env, "ocrmypdf", "--jobs", fmt.Sprint(jobs), "--output-type", "pdfa", "-l", lang, in, out)
	if err != nil {
		return err
	}
	om.bytes = size(out)
	om.recall = recall(strings.Split(pdfText(out), "\f"), truths)
	rows = append(rows, om)

	// Memory as the batch grows.
	var many []string
	var manyTruths []string
	for i := 0; i < repeat; i++ {
		many = append(many, images...)
		manyTruths = append(manyTruths, truths...)
	}
	dmBig, err := runDemat(env, demat, many, filepath.Join(work, "demat-big.pdf"), lang, jobs, manyTruths, "--no-clean")
	if err != nil {
		return err
	}
	rows = append(rows, dmBig)

	fmt.Printf("%-32s %6s %9s %9s %10s %11s %7s\n", "tool", "pages", "wall s", "pages/min", "peak RSS", "bytes/page", "recall")
	for _, r := range rows {
		fmt.Printf("%-32s %6d %9.1f %9.1f %7.0f MB %11.0f %6.1f%%  %s\n", r.name, r.pages, r.wall.Seconds(),
			float64(r.pages)/r.wall.Minutes(), float64(r.rssKB)/1024, float64(r.bytes)/float64(r.pages), 100*r.recall, r.comment)
	}
	ideal := tess.wall.Seconds() / float64(jobs)
	fmt.Printf("\nchecks:\n")
	check(fmt.Sprintf("demat wall %.1f s ≤ 1.10 × tesseract sum / %d = %.1f s (ratio %.3f)", dm.wall.Seconds(), jobs, 1.1*ideal, dm.wall.Seconds()/ideal), dm.wall.Seconds() <= 1.1*ideal)
	check(fmt.Sprintf("demat %.2f× faster than ocrmypdf (want ≥ 2)", om.wall.Seconds()/dm.wall.Seconds()), om.wall.Seconds() >= 2*dm.wall.Seconds())
	check(fmt.Sprintf("peak RSS %d pages %.0f MB ≤ 1.3 × %d pages %.0f MB (ratio %.2f)", dmBig.pages, float64(dmBig.rssKB)/1024, dm.pages, float64(dm.rssKB)/1024, float64(dmBig.rssKB)/float64(dm.rssKB)), float64(dmBig.rssKB) <= 1.3*float64(dm.rssKB))
	check(fmt.Sprintf("demat recall %.1f%% ≥ tesseract's %.1f%% − 0.5", 100*dm.recall, 100*tess.recall), dm.recall >= tess.recall-0.005)
	fmt.Printf("\ncleanup (default) costs %.0f%% more wall time than --no-clean and gives recall %.1f%% (%+.1f points)\n",
		100*(dmClean.wall.Seconds()/dm.wall.Seconds()-1), 100*dmClean.recall, 100*(dmClean.recall-dm.recall))
	if err := sizeChecks(env, work, images, truths, lang, dmClean, dmKeep, om); err != nil {
		return err
	}
	return cleanupChecks(env, demat, corpus, lang, work)
}

// workDir gives the folder outputs go to: work, created if needed, or a
// temporary one that done removes.
func workDir(work string) (dir string, done func(), err error) {
	if work != "" {
		return work, func() {}, os.MkdirAll(work, 0o755)
	}
	d, err := os.MkdirTemp("", "demat-bench-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

func check(what string, ok bool) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
	}
	fmt.Printf("  %s %s\n", mark, what)
}

func runDemat(env []string, demat string, images []string, out, lang string, jobs int, truths []string, flags ...string) (result, error) {
	r := result{name: strings.TrimSpace(fmt.Sprintf("demat -j %d %s", jobs, strings.Join(flags, " "))), pages: len(images)}
	args := append([]string{"process", "-f", "-j", fmt.Sprint(jobs), "-l", lang, "-o", out}, flags...)
	args = append(args, images...)
	var err error
	r.wall, r.rssKB, err = measure(env, demat, args...)
	if err != nil {
		return r, err
	}
	r.bytes = size(out)
	r.recall = recall(strings.Split(pdfText(out), "\f"), truths)
	if len(images) > len(pages) {
		r.name += fmt.Sprintf(" (%d pages)", len(images))
	}
	return r, nil
}

// measure runs a command runs times and reports the median wall time and
// the median peak resident memory (the largest of the process and its
// children).
func measure(env []string, name string, args ...string) (time.Duration, int64, error) {
	var walls []time.Duration
	var rsss []int64
	for i := 0; i < runs; i++ {
		d, rss, err := measureOnce(env, name, args...)
		if err != nil {
			return 0, 0, err
		}
		walls = append(walls, d)
		rsss = append(rsss, rss)
	}
	slices.Sort(walls)
	slices.Sort(rsss)
	return walls[len(walls)/2], rsss[len(rsss)/2], nil
}

func measureOnce(env []string, name string, args ...string) (time.Duration, int64, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, 0, fmt.Errorf("%s: %v\n%s", name, err, stderr.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return d, rss, nil
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func pdfText(path string) string {
	out, _ := exec.Command("pdftotext", path, "-").Output()
	return string(out)
}

func imageOnlyPDF(images []string, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := pdf.NewWriter(f, pdf.Options{Meta: pdf.Metadata{Title: "bench input"}, PDFA: pdf.PDFAOff})
	if err != nil {
		return err
	}
	err = file.Read(context.Background(), images, file.Options{}, func(p scan.Page) error { return w.AddPage(&p, nil) })
	if err != nil {
		return err
	}
	return w.Close()
}

var tagRE = regexp.MustCompile(`(?s)<Unicode>(.*?)</Unicode>|CONTENT="([^"]*)"`)

// groundTruth reads a text file, or the transcription in an ALTO or PAGE
// XML file.
func groundTruth(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("ground truth: %w", err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("<?xml")) {
		return string(b), nil
	}
	var parts []string
	for _, m := range tagRE.FindAllSubmatch(b, -1) {
		s := string(m[1]) + string(m[2])
		parts = append(parts, html.UnescapeString(s))
	}
	return strings.Join(parts, " "), nil
}

// words splits text into lower-case words without surrounding punctuation.
func words(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, unicode.IsSpace) {
		f = strings.TrimFunc(strings.ToLower(f), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		f = strings.ReplaceAll(f, "_", "")
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// recall is the share of ground-truth words (counted with multiplicity,
// page by page) found in the extracted text.
func recall(texts, truths []string) float64 {
	found, total := 0, 0
	for i, t := range truths {
		have := map[string]int{}
		if i < len(texts) {
			for _, w := range words(texts[i]) {
				have[w]++
			}
		}
		for _, w := range words(t) {
			total++
			if have[w] > 0 {
				have[w]--
				found++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(found) / float64(total)
}
