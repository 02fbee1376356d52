package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
)

// saneTest points SANE at its test backend for this test and its
// children.
func saneTest(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dll.conf"), []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SANE_CONFIG_DIR", dir)
}

func TestSANECLI(t *testing.T) {
	saneTest(t)
	code, out, errOut := runCLI("devices", "--json")
	if code != 0 || !strings.Contains(out, `"id":"sane:test:0"`) {
		t.Fatalf("devices: exit %d, %s\n%s", code, out, errOut)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		pages int
	}{
		{nil, 10}, // the test backend's feeder holds 10 sheets
		{[]string{"--pages", "3"}, 3},
	} {
		pdf := filepath.Join(dir, "feeder"+strconv.Itoa(tc.pages)+".pdf")
		args := append([]string{"scan", "--device", "sane:test:0", "--source", "feeder", "--resolution", "150", "-l", "eng", "-o", pdf}, tc.args...)
		if code, _, errOut := runCLI(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if info := testenv.Run(t, "pdfinfo", pdf); !strings.Contains(testenv.Normalise(info), "Pages: "+strconv.Itoa(tc.pages)) {
			t.Errorf("%v: want %d pages:\n%s", args, tc.pages, info)
		}
	}
	pdf := filepath.Join(dir, "jam.pdf")
	code, _, errOut = runCLI("scan", "--device", "sane:test:0", "--source", "feeder", "--resolution", "150", "-l", "eng", "-o", pdf,
		"--option", "read-return-value=SANE_STATUS_JAMMED")
	if code != 3 || !strings.Contains(errOut, "paper jam") || !strings.Contains(errOut, "remove the stuck sheet") {
		t.Errorf("jam: exit %d, want 3 with what to do: %s", code, errOut)
	}
	if _, err := os.Stat(pdf); err == nil {
		t.Error("a PDF was written for a scan that gave no page")
	}
}

// killer watches demat's JSON progress and kills the SANE child process
// with SIGKILL once two pages have been read.
type killer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	killed int // pid, once killed
}

func (k *killer) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.buf.Write(p)
	for _, line := range strings.Split(string(p), "\n") {
		var e struct {
			Stage string `json:"stage"`
			Done  int    `json:"done"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Stage != "read" || e.Done < 2 || k.killed != 0 {
			continue
		}
		if pid := saneChild(); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
			k.killed = pid
		}
	}
	return len(p), nil
}

// saneChild finds the SANE child process of this process.
func saneChild() int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		status, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if bytes.Contains(cmdline, []byte("__sane-child")) &&
			bytes.Contains(status, []byte("\nPPid:\t"+strconv.Itoa(os.Getpid())+"\n")) {
			return pid
		}
	}
	return 0
}

// kill -9 of the SANE child mid-batch: a device error, and the pages read
// before are in the output.
func TestSANEChildKilledCLI(t *testing.T) {
	saneTest(t)
	pdf := filepath.Join(t.TempDir(), "out.pdf")
	k := &killer{}
	var errOut bytes.Buffer
	// Slow pages, so that the child is still scanning when it is killed.
	code := run([]string{"scan", "--device", "sane:test:0", "--source", "feeder", "--resolution", "100", "-l", "eng", "--json", "-o", pdf,
		"--option", "read-delay=yes", "--option", "read-delay-duration=20000"}, k, &errOut)
	if k.killed == 0 {
		t.Fatalf("the SANE child was not found to kill (exit %d): %s", code, errOut.String())
	}
	if code != 3 || !strings.Contains(errOut.String(), "connection to the scanner broke") {
		t.Fatalf("exit %d, want 3 and a device error: %s", code, errOut.String())
	}
	info := testenv.Normalise(testenv.Run(t, "pdfinfo", pdf))
	if !strings.Contains(info, "Pages: 2") && !strings.Contains(info, "Pages: 3") {
		t.Errorf("want the pages read before the kill (2, or 3 if one was complete):\n%s", info)
	}
	t.Logf("%s", errOut.String())
}
