package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan/sane"
)

// TestMain doubles as the demat command when DEMAT_RUN_MAIN is set, so
// tests can run it as a child process (and kill it).
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == sane.ChildArg {
		main() // the SANE driver's child process
		return
	}
	if os.Getenv("DEMAT_RUN_MAIN") == "1" {
		if screen := os.Getenv("DEMAT_SCREENSHOT"); screen != "" {
			guiStarted = screenshotHook(screen)
		}
		os.Args = []string{"demat"}
		if a := os.Getenv("DEMAT_ARGS"); a != "" {
			os.Args = append(os.Args, strings.Split(a, "\x1f")...)
		}
		main()
		return
	}
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A private Secret Service, so that the credential commands never
	// touch the developer's keyring.
	testenv.MainWithSecretService(m)
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI("--version")
	if code != 0 || !strings.HasPrefix(out, "demat ") {
		t.Errorf("--version: %d %q", code, out)
	}
	code, out, _ = runCLI("help", "process")
	if code != 0 || !strings.Contains(out, "--lang") || !strings.Contains(out, "--sidecar") {
		t.Errorf("help process: %d %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"process", "-o", "x.pdf"},
		{"process", "in.png"},
		{"process", "--no-such-flag", "-o", "x.pdf", "in.png"},
		{"process", "-l", "fra;ara", "-o", "x.pdf", "in.png"},
		{"frobnicate"},
	} {
		code, _, stderr := runCLI(args...)
		if code != 2 || !strings.HasPrefix(stderr, "demat: ") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

func TestProcessCLI(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.pdf")
	code, stdout, stderr := runCLI("process", "-l", "eng", "--json", "-o", out, testenv.Testdata("phototest.tif"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var last struct {
		Type  string `json:"type"`
		Pages int    `json:"pages"`
		Words int    `json:"words"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != "result" || last.Pages != 1 || last.Words < 50 {
		t.Errorf("last JSON line %q: %+v %v", lines[len(lines)-1], last, err)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %q", l)
		}
	}
	pdftest.Validate(t, out, true)
	want, _ := os.ReadFile(testenv.Testdata("phototest.txt"))
	if cer := testenv.CER(testenv.PDFText(t, out), string(want)); cer > 0.01 {
		t.Errorf("CER %.3f", cer)
	}
}

// Bad input exits 1 with one line naming the file, and leaves no output.
func TestBadInputCLI(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"zero.png":    {},
		"text.png":    []byte("hello, this is not a picture\n"),
		"cut.jpg":     []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb"),
		"bomb.png":    bombPNG(),
		"nowhere.tif": nil,
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(dir, name)
			if data != nil {
				os.WriteFile(in, data, 0o644)
			}
			out := filepath.Join(dir, name+".pdf")
			code, _, stderr := runCLI("process", "-l", "eng", "-o", out, in)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, in) {
				t.Errorf("stderr %q: want one line naming %s", stderr, in)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".pdf") || strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// bombPNG is a PNG header claiming 60000×60000 pixels.
func bombPNG() []byte {
	b, _ := os.ReadFile(testenv.Testdata("letter-fr-ar.png"))
	out := append([]byte{}, b...)
	// IHDR width and height at bytes 16–23; the CRC no longer matches,
	// which a decoder would only notice after the size check.
	copy(out[16:], []byte{0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60})
	return out
}

// kill -9 in the middle of a run leaves nothing at the output path.
func TestKillMidRun(t *testing.T) {
	dir := t.TempDir()
	pages := filepath.Join(dir, "pages")
	os.Mkdir(pages, 0o755)
	for i := 1; i <= 20; i++ {
		testenv.TempCopy(t, "letter-fr-ar.png", pages, fmt.Sprintf("page%02d.png", i))
	}
	out := filepath.Join(dir, "out.pdf")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "DEMAT_RUN_MAIN=1", "DEMAT_ARGS="+strings.Join([]string{"process", "-j", "2", "-l", "fra+ara", "--json", "-o", out, pages}, "\x1f"))
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	deadline := time.After(2 * time.Minute)
	killed := false
	for sc.Scan() {
		var e struct {
			Stage string `json:"stage"`
			Done  int    `json:"done"`
		}
		json.Unmarshal(sc.Bytes(), &e)
		if e.Stage == "write" && e.Done >= 3 {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
		select {
		case <-deadline:
			t.Fatal("no progress within 2 minutes")
		default:
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the run ended before it could be killed")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a file was left at the output path after kill -9")
	}
	// The next run over the same output clears what the killed one left.
	if code, _, stderr := runCLI("process", "-l", "eng", "-o", out, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("left behind after the rerun: %s", e.Name())
		}
	}
}
