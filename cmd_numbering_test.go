package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/testenv"
)

// numberingDAV is a bureau d'ordre platform in front of Apache's WebDAV:
// it answers the MOVE that puts a document in place with the number
// next() gives, in X-Registration-Number. It gives the collection's URL
// through it.
func numberingDAV(t *testing.T, dav *testenv.WebDAV, next func() string) string {
	t.Helper()
	target, _ := url.Parse(dav.URL)
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == "MOVE" && r.StatusCode < 300 {
			r.Header.Set("X-Registration-Number", next())
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(dav.URL)
	u.Host = strings.TrimPrefix(srv.URL, "http://")
	return u.String()
}

func showEntry(t *testing.T, number string) register.Entry {
	t.Helper()
	code, stdout, stderr := runCLI("register", "show", "--json", number)
	if code != 0 {
		t.Fatalf("register show %s: %d %s", number, code, stderr)
	}
	var e register.Entry
	if err := json.Unmarshal([]byte(stdout), &e); err != nil {
		t.Fatalf("register show: %v\n%s", err, stdout)
	}
	return e
}

// A locally numbered entry keeps its number; the one the WebDAV server
// gives reaches the outbox's receipt, the register (show, search,
// lookup, CSV); the same number given for another document is reported
// and not taken.
func TestServerNumberCLI(t *testing.T) {
	cfg, _ := registerEnv(t)
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	var given atomic.Value
	given.Store("BO-2026-000017")
	u := numberingDAV(t, dav, func() string { return given.Load().(string) })
	f, _ := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "\n[[target]]\nname = \"bo\"\nkind = \"webdav\"\nurl = %q\nuser = %q\nnumber_header = \"X-Registration-Number\"\n", u, dav.User)
	f.Close()
	if code, _, stderr := runCLIIn(dav.Password, "credentials", "set", "--stdin", "bo"); code != 0 {
		t.Fatal(stderr)
	}
	t.Cleanup(func() { runCLI("credentials", "delete", "bo") })
	dir := t.TempDir()
	process := func(name string) (int, string, string) {
		return runCLI("process", "-l", "eng", "--register", "incoming", "--stamp=false", "--meta", "sender=Wilaya de Rabat",
			"--send", "bo", "-o", filepath.Join(dir, name), testenv.Testdata("phototest.tif"))
	}
	code, stdout, stderr := process("a.pdf")
	if code != 0 || !strings.Contains(stdout, "numbered BO-2026-000017 by the server") {
		t.Fatalf("process --send: %d\n%s\n%s", code, stdout, stderr)
	}
	local := fmt.Sprintf("AJR/%d/A/000001", time.Now().Year())
	ds := outboxJSON(t)
	if len(ds) != 1 || ds[0].Receipt == nil || ds[0].Receipt.Number != "BO-2026-000017" {
		t.Fatalf("outbox: %+v", ds)
	}
	if code, stdout, _ := runCLI("outbox", "show", strconv.FormatInt(ds[0].ID, 10)); code != 0 || !strings.Contains(stdout, "Server number:   BO-2026-000017") {
		t.Errorf("outbox show:\n%s", stdout)
	}
	for _, n := range []string{local, "BO-2026-000017"} {
		e := showEntry(t, n)
		if e.Number != local || e.ServerNumber != "BO-2026-000017" || len(e.Deliveries) != 1 || e.Deliveries[0].Number != "BO-2026-000017" {
			t.Errorf("show %s: %+v", n, e)
		}
	}
	if code, stdout, _ := runCLI("register", "show", local); code != 0 || !strings.Contains(stdout, "Server number:   BO-2026-000017") {
		t.Errorf("register show:\n%s", stdout)
	}
	if es := listRegister(t, "--search", "bo-2026-0000"); len(es) != 1 || es[0].Number != local {
		t.Errorf("search by the server's number: %+v", es)
	}
	csvFile := filepath.Join(dir, "registre.csv")
	if code, _, stderr := runCLI("register", "export", "-o", csvFile); code != 0 {
		t.Fatal(stderr)
	}
	recs, err := csv.NewReader(bytes.NewReader(mustRead(t, csvFile)[3:])).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv: %v %q", err, recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if recs[1][col["number"]] != local || recs[1][col["server_number"]] != "BO-2026-000017" || recs[1][col["local_number"]] != local {
		t.Errorf("csv row: %q", recs[1])
	}

	// The server gives the same number to another document.
	code, stdout, stderr = process("b.pdf")
	if code != 1 || !strings.Contains(stderr, "BO-2026-000017") || !strings.Contains(stderr, "already the number of "+local) {
		t.Fatalf("a duplicate number: %d\n%s\n%s", code, stdout, stderr)
	}
	second := fmt.Sprintf("AJR/%d/A/000002", time.Now().Year())
	e := showEntry(t, second)
	if e.ServerNumber != "" || len(e.Deliveries) != 1 || !strings.Contains(e.Deliveries[0].NumberNote, "refused") {
		t.Errorf("the second entry: %+v", e)
	}
	if e := showEntry(t, "BO-2026-000017"); e.Number != local {
		t.Errorf("the number now finds %s", e.Number)
	}
	checkRegister(t)
}

// Under [register] numbering = "server" the entry has a provisional
// number until the tus deposit service's answer gives its own; the stamp
// and receipt, which come before, are refused; a folder target cannot
// be told to read a number.
func TestServerNumberingCLI(t *testing.T) {
	cfg, _ := registerEnv(t)
	var n atomic.Int32
	srv := testenv.StartTusd(t, testenv.TusdOptions{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				w = &numberWriter{ResponseWriter: w, next: func() string { return fmt.Sprintf("BOS-%d", 40+n.Add(1)) }}
			}
			next.ServeHTTP(w, r)
		})
	}})
	os.WriteFile(cfg, []byte(fmt.Sprintf("[register]\nformat = \"AJR/{year}/{code}/{seq:6}\"\nnumbering = \"server\"\n\n"+
		"[[target]]\nname = \"bo\"\nkind = \"tus\"\nurl = %q\ncredential = \"none\"\nnumber_header = \"X-Registration-Number\"\n", srv.URL)), 0o600)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--stamp"}, "the stamp cannot show it"},
		{[]string{"--receipt", filepath.Join(dir, "r.pdf")}, "demat register receipt NUMBER"},
		{[]string{"--send", "documents"}, "reads no number from its server"},
	} {
		a := append(append([]string{"process", "-l", "eng", "--register", "incoming"}, tc.args...), "-o", filepath.Join(dir, "x.pdf"), testenv.Testdata("phototest.tif"))
		if code, _, stderr := runCLI(a...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, stderr)
		}
	}
	if code, _, stderr := runCLI("register", "add", "incoming", "--meta", "subject=x"); code == 0 || !strings.Contains(stderr, "--send TARGET") {
		t.Errorf("register add: %d %s", code, stderr)
	}
	out := filepath.Join(dir, "a.pdf")
	code, stdout, stderr := runCLI("process", "-l", "eng", "--register", "incoming", "--send", "bo", "-o", out, testenv.Testdata("phototest.tif"))
	local := fmt.Sprintf("AJR/%d/A/000001", time.Now().Year())
	if code != 0 || !strings.Contains(stdout, "registered provisionally as "+local) || !strings.Contains(stdout, "numbered BOS-41 by the server") {
		t.Fatalf("process: %d\n%s\n%s", code, stdout, stderr)
	}
	e := showEntry(t, "BOS-41")
	if e.Number != "BOS-41" || e.Provisional != local || e.State != register.Registered {
		t.Errorf("%+v", e)
	}
	if e2 := showEntry(t, local); e2.Number != "BOS-41" {
		t.Errorf("by the provisional number: %+v", e2)
	}
	code, stdout, _ = runCLI("register", "show", "BOS-41")
	if code != 0 || !strings.Contains(stdout, "Provisional:") || !strings.Contains(stdout, "awaiting-number") {
		t.Errorf("register show:\n%s", stdout)
	}
	// A folder target is refused the option.
	if code, _, stderr := runCLI("target", "add", "arch", "--kind", "folder", "--url", dir, "--number-header", "X-Registration-Number"); code != 2 || !strings.Contains(stderr, "a folder target has no answer to read it from") {
		t.Errorf("folder with --number-header: %d %s", code, stderr)
	}
}

// numberWriter adds X-Registration-Number to the answer of a PATCH that
// tusd accepted: the test's documents are smaller than a chunk, so their
// one PATCH completes them.
type numberWriter struct {
	http.ResponseWriter
	next func() string
}

func (w *numberWriter) WriteHeader(code int) {
	if code == http.StatusNoContent && w.Header().Get("Upload-Offset") != "" {
		w.Header().Set("X-Registration-Number", w.next())
	}
	w.ResponseWriter.WriteHeader(code)
}
