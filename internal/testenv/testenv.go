// Package testenv is what demat's tests share: locating fixtures, and
// failing (never skipping) when a system tool the project installs with
// `make deps` is missing.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
)

// Require fails the test when a command is not on PATH.
func Require(t testing.TB, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is not installed: run make deps", c)
		}
	}
}

// Testdata gives the path of a file in the repository's testdata folder.
func Testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", name)
}

// Run runs a command and returns its standard output, failing the test on
// error.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	Require(t, name)
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// PDFText extracts a PDF's text with poppler's pdftotext (reading order).
func PDFText(t testing.TB, pdf string, args ...string) string {
	t.Helper()
	return Run(t, "pdftotext", append(append([]string{}, args...), pdf, "-")...)
}

// Normalise folds white space, and the bidi controls pdftotext inserts
// around right-to-left runs, so texts compare by words.
func Normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u202a', '\u202b', '\u202c', '\u200e', '\u200f', '\f':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// CER is the character error rate of got against want: Levenshtein
// distance over the length of want, after Normalise.
func CER(got, want string) float64 {
	a, b := []rune(Normalise(got)), []rune(Normalise(want))
	if len(b) == 0 {
		if len(a) == 0 {
			return 0
		}
		return 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(b)]) / float64(len(b))
}

// TempCopy copies a fixture into dir under name.
func TempCopy(t testing.TB, fixture, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(Testdata(fixture))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Main runs a package's tests once setup (ocr.EnsureThreadLimit, for
// packages that recognise pages) has succeeded: call it from TestMain.
func Main(m *testing.M, setup func() error) {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
