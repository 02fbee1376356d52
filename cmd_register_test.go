package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/db"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

// registerEnv is deliverEnv with the desk's number format configured.
func registerEnv(t *testing.T) (cfg, data string) {
	t.Helper()
	cfg, data = deliverEnv(t)
	os.WriteFile(cfg, []byte("[register]\nformat = \"AJR/{year}/{code}/{seq:6}\"\n[register.codes]\noutgoing = \"S\"\n"), 0o600)
	return cfg, data
}

// demat runs demat as a child process (the test binary, see TestMain).
func demat(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "DEMAT_RUN_MAIN=1", "DEMAT_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

func listRegister(t *testing.T, args ...string) []register.Entry {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"register", "list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("register list: %d %s", code, stderr)
	}
	var es []register.Entry
	if err := json.Unmarshal([]byte(stdout), &es); err != nil {
		t.Fatalf("register list: %v\n%s", err, stdout)
	}
	return es
}

// checkRegister checks what must hold whatever happened: in each register
// and year the sequence runs from 1 with no gap and no number twice; no
// entry is left pending; a registered document is where the register
// says, with its hash and its number inside; and the audit trail is
// intact.
func checkRegister(t *testing.T) []register.Entry {
	t.Helper()
	es := listRegister(t)
	next := map[string]int64{}
	seen := map[string]bool{}
	for _, e := range es {
		k := fmt.Sprintf("%s/%d", e.Kind, e.Year)
		next[k]++
		if e.Seq != next[k] {
			t.Fatalf("%s: sequence %d where %d was due", e.Number, e.Seq, next[k])
		}
		if seen[e.Number] {
			t.Fatalf("%s given twice", e.Number)
		}
		seen[e.Number] = true
		switch e.State {
		case register.Pending:
			t.Fatalf("%s left pending", e.Number)
		case register.Registered:
			if e.File == "" {
				break
			}
			sum, _, err := register.HashFile(e.File)
			if err != nil || sum != e.SHA256 {
				t.Fatalf("%s: %s hashes %s, the register says %s (%v)", e.Number, e.File, sum, e.SHA256, err)
			}
			if d, err := pdf.Describe(e.File); err != nil || d.Meta.RegistrationNumber != e.Number || d.Pages != e.Pages {
				t.Fatalf("%s: the PDF says %+v (%v)", e.Number, d, err)
			}
		}
	}
	if code, stdout, stderr := runCLI("audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %d %s %s", code, stdout, stderr)
	}
	return es
}

// Two demat processes registering 200 items each at the same time take
// 400 distinct numbers with no gap.
func TestRegisterTwoProcessesCLI(t *testing.T) {
	registerEnv(t)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	for i := range 2 {
		cmd := demat("register", "add", "incoming", "--count", "200", "--meta", fmt.Sprintf("sender=process %d", i))
		cmd.Stdout = &outs[i]
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				t.Errorf("process %d: %v: %s", i, err, stderr.String())
			}
		})
	}
	wg.Wait()
	printed := map[string]bool{}
	for i := range outs {
		lines := strings.Fields(outs[i].String())
		if len(lines) != 200 {
			t.Errorf("process %d printed %d numbers", i, len(lines))
		}
		for _, n := range lines {
			if printed[n] {
				t.Errorf("%s printed twice", n)
			}
			printed[n] = true
		}
	}
	es := checkRegister(t)
	if len(es) != 400 {
		t.Fatalf("%d entries", len(es))
	}
	// Both took numbers while the other did: the database, not luck,
	// kept them apart.
	switches := 0
	for i := 1; i < len(es); i++ {
		if es[i].Sender != es[i-1].Sender {
			switches++
		}
	}
	t.Logf("the two processes alternated %d times", switches)
	if es[0].Number != "AJR/"+fmt.Sprint(es[0].Year)+"/A/000001" || es[399].Seq != 400 || !printed[es[399].Number] {
		t.Errorf("first %s, last %s", es[0].Number, es[399].Number)
	}
}

// kill -9 at random moments of registrations, paper or scanned, never
// leaves a gap, a duplicate, an entry pending or a document whose
// register entry is wrong.
func TestRegisterKillCLI(t *testing.T) {
	registerEnv(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for i := range 14 {
		var cmd *exec.Cmd
		var delay time.Duration
		if i%2 == 0 {
			cmd = demat("register", "add", "incoming", "--count", "10000", "--meta", "subject=kill test")
			delay = time.Duration(rng.IntN(300)) * time.Millisecond
		} else {
			out := filepath.Join(dir, fmt.Sprintf("doc%02d.pdf", i))
			cmd = demat("process", "-l", "eng", "--register", "incoming", "--meta", "sender=kill test", "-o", out, testenv.Testdata("phototest.tif"))
			delay = time.Duration(rng.IntN(500)) * time.Millisecond
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkRegister(t)
	}
	es := checkRegister(t)
	states := map[register.State]int{}
	for _, e := range es {
		states[e.State]++
	}
	t.Logf("%d entries: %v", len(es), states)

	// The moment a kill only rarely hits, made certain: the PDF was
	// written with its number, then demat died before recording it. The
	// next demat completes the entry from the PDF.
	_, data := registerEnv(t)
	r, err := register.Open(t.Context(), data, register.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "written.pdf")
	e, err := r.Reserve(t.Context(), register.Draft{Kind: register.Incoming, File: out})
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	dead.Run()
	raw, err := db.Open(filepath.Join(data, "demat.db"))
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec(`UPDATE register_entries SET owner_pid = ? WHERE number = ?`, dead.Process.Pid, e.Number)
	raw.Close()
	if code, _, stderr := runCLI("process", "-l", "eng", "--meta", "registration_number="+e.Number, "-o", out, testenv.Testdata("phototest.tif")); code != 0 {
		t.Fatal(stderr)
	}
	es = checkRegister(t)
	if got := es[len(es)-1]; got.Number != e.Number || got.State != register.Registered || got.Pages != 1 {
		t.Errorf("after recovery: %+v", got)
	}
}

// process --register takes a number before writing the PDF, writes it
// into the PDF's metadata with the direction and the arrival time, and
// records the final (signed) PDF's hash and pages; a document that fails
// voids its number; delivery is recorded on the entry and in the trail.
func TestRegisterProcessCLI(t *testing.T) {
	registerEnv(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "courrier.pdf")
	code, stdout, stderr := runCLI("process", "-l", "eng", "--json", "--register", "incoming",
		"--meta", "sender=وزارة الداخلية", "--meta", "subject=Demande de permis", "--meta", "reference=REF/77",
		"-o", out, testenv.Testdata("phototest.tif"))
	if code != 0 {
		t.Fatalf("process --register: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var reg struct {
		Type string `json:"type"`
		register.Entry
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &reg); err != nil || reg.Type != "registered" {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	year := time.Now().Year()
	if want := fmt.Sprintf("AJR/%d/A/000001", year); reg.Number != want {
		t.Errorf("number %s, want %s", reg.Number, want)
	}
	code, stdout, _ = runCLI("info", "--json", out)
	var info struct {
		PDFA string       `json:"pdfa"`
		Meta pdf.Metadata `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); code != 0 || err != nil {
		t.Fatalf("info: %d %v", code, err)
	}
	if info.Meta.RegistrationNumber != reg.Number || info.Meta.Direction != "incoming" || info.Meta.Sender != "وزارة الداخلية" ||
		!strings.HasPrefix(info.Meta.Received, fmt.Sprint(year)) {
		t.Errorf("metadata: %+v", info.Meta)
	}
	sum, _, _ := register.HashFile(out)
	if reg.SHA256 != sum || reg.Pages != 1 || reg.State != register.Registered || reg.Sender != "وزارة الداخلية" || reg.Reference != "REF/77" {
		t.Errorf("entry: %+v (file hash %s)", reg.Entry, sum)
	}

	// Mistakes in the command line are refused before a number is taken.
	for _, args := range [][]string{
		{"--register", "sideways"},
		{"--register", "incoming", "--meta", "registration_number=X/1"},
		{"--register", "outgoing", "--meta", "direction=incoming"},
	} {
		a := append(append([]string{"process", "-l", "eng"}, args...), "-o", filepath.Join(dir, "x.pdf"), testenv.Testdata("phototest.tif"))
		if code, _, stderr := runCLI(a...); code != 2 {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
	// A document that cannot be made voids its number, which stays used.
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not a picture"), 0o644)
	if code, _, _ := runCLI("process", "-l", "eng", "--register", "incoming", "-o", filepath.Join(dir, "bad.pdf"), bad); code != 1 {
		t.Errorf("bad input: exit %d", code)
	}
	// Signed and sent: the register holds the signed file's hash, the
	// trail says captured → signed → registered → delivered, and the
	// hashes chain from one to the next.
	p12, _ := testPKI(t, dir, "pass")
	if code, _, stderr := runCLIIn("pass", "credentials", "set", "--stdin", "demat-register-test"); code != 0 {
		t.Fatal(stderr)
	}
	t.Cleanup(func() { runCLI("credentials", "delete", "demat-register-test") })
	root := filepath.Join(dir, "archives")
	if code, _, stderr := runCLI("target", "add", "archives", "--kind", "folder", "--url", root, "--path", "{registration_number}.pdf"); code != 0 {
		t.Fatal(stderr)
	}
	signed := filepath.Join(dir, "signe.pdf")
	code, stdout, stderr = runCLI("process", "-l", "eng", "--register", "outgoing", "--meta", "recipient=Commune, \"Salé\"",
		"--sign", p12, "--cert-credential", "demat-register-test", "--send", "archives", "-o", signed, testenv.Testdata("phototest.tif"))
	if code != 0 {
		t.Fatalf("process --register --sign --send: %d %s %s", code, stdout, stderr)
	}
	number := fmt.Sprintf("AJR/%d/S/000001", year)
	if !strings.Contains(stdout, "registered as "+number) {
		t.Errorf("stdout: %s", stdout)
	}
	code, stdout, _ = runCLI("register", "show", "--json", number)
	var shown struct {
		register.Entry
		Audit []audit.Entry `json:"audit"`
	}
	if err := json.Unmarshal([]byte(stdout), &shown); code != 0 || err != nil {
		t.Fatalf("show: %d %v %s", code, err, stdout)
	}
	sum, _, _ = register.HashFile(signed)
	if shown.SHA256 != sum || len(shown.Deliveries) != 1 || shown.Deliveries[0].SHA256 != sum ||
		!strings.HasPrefix(shown.Deliveries[0].Location, root) || shown.Deliveries[0].Target != "archives" {
		t.Errorf("entry: %+v", shown.Entry)
	}
	if got, _ := os.ReadFile(shown.Deliveries[0].Location); !bytes.Equal(got, mustRead(t, signed)) {
		t.Errorf("%s is not the registered document", shown.Deliveries[0].Location)
	}
	var actions []string
	for _, a := range shown.Audit {
		actions = append(actions, string(a.Action))
	}
	if strings.Join(actions, " ") != "numbered captured signed registered delivered" {
		t.Fatalf("trail: %v", actions)
	}
	a := shown.Audit
	if a[1].Hashes["pdf"] != a[2].Hashes["unsigned"] || a[2].Hashes["signed"] != sum || a[3].Hashes["pdf"] != sum || a[4].Hashes["pdf"] != sum {
		t.Errorf("hashes do not chain: %+v", a)
	}
	// An outbox run again records nothing twice.
	runCLI("outbox", "run")
	if code, stdout, _ := runCLI("audit", "list", "--json"); code != 0 || strings.Count(stdout, `"delivered"`) != 1 {
		t.Errorf("audit: %s", stdout)
	}
	es := checkRegister(t)
	if len(es) != 3 || es[1].State != register.Void || !strings.Contains(es[1].Note, "bad.png") {
		t.Errorf("%+v", es)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The CSV export opens in a spreadsheet as it was typed: Arabic, commas,
// quotes and line breaks survive, and filters apply.
func TestRegisterExportCLI(t *testing.T) {
	registerEnv(t)
	descs := [][]string{
		{"sender=وزارة العدل، الرباط", "subject=طلب \"عاجل\", مع مرفقات"},
		{"sender=Société \"Atlas\", Casablanca", "subject=Réclamation\nsur deux lignes"},
	}
	for _, d := range descs {
		if code, _, stderr := runCLI("register", "add", "incoming", "--meta", d[0], "--meta", d[1]); code != 0 {
			t.Fatal(stderr)
		}
	}
	runCLI("register", "add", "internal", "--meta", "subject=note de service")
	out := filepath.Join(t.TempDir(), "registre.csv")
	if code, stdout, stderr := runCLI("register", "export", "--register", "incoming", "-o", out); code != 0 || !strings.Contains(stdout, "2 entries") {
		t.Fatalf("export: %d %s %s", code, stdout, stderr)
	}
	if code, _, _ := runCLI("register", "export", "-o", out); code != 1 {
		t.Errorf("export over an existing file: exit %d", code)
	}
	b, _ := os.ReadFile(out)
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Fatal("no byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "number" {
		t.Fatalf("%v %q", err, recs)
	}
	for i, d := range descs {
		if "sender="+recs[i+1][5] != d[0] || "subject="+recs[i+1][7] != d[1] {
			t.Errorf("row %d: %q", i+1, recs[i+1])
		}
	}
	// Search ignores case and accents.
	if es := listRegister(t, "--search", "RECLAMATION"); len(es) != 1 {
		t.Errorf("search: %d", len(es))
	}
	today := time.Now().Format("2006-01-02")
	if es := listRegister(t, "--from", today, "--to", today); len(es) != 3 {
		t.Errorf("today: %d", len(es))
	}
	if es := listRegister(t, "--to", time.Now().AddDate(0, 0, -1).Format("2006-01-02")); len(es) != 0 {
		t.Errorf("yesterday: %d", len(es))
	}
	if code, _, _ := runCLI("register", "list", "--from", "01/02/2026"); code != 2 {
		t.Errorf("bad date: exit %d", code)
	}
}

// Editing or deleting an audit entry behind demat's back is found by
// demat audit verify, which names the entry.
func TestAuditVerifyCLI(t *testing.T) {
	_, data := registerEnv(t)
	if code, _, stderr := runCLI("register", "add", "incoming", "--count", "5", "--meta", "subject=à vérifier"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := runCLI("audit", "verify")
	if code != 0 || !strings.Contains(stdout, "intact: 5 entries") {
		t.Fatalf("verify: %d %s", code, stdout)
	}
	raw, err := db.Open(filepath.Join(data, "demat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var details string
	raw.QueryRow(`SELECT details FROM audit_log WHERE seq = 3`).Scan(&details)
	raw.Exec(`UPDATE audit_log SET details = ? WHERE seq = 3`, strings.Replace(details, "vérifier", "verifier", 1))
	code, _, stderr := runCLI("audit", "verify")
	if code != 1 || !strings.Contains(stderr, "entry 3 was altered") {
		t.Errorf("after an edit: %d %s", code, stderr)
	}
	raw.Exec(`UPDATE audit_log SET details = ? WHERE seq = 3`, details)
	if code, _, _ := runCLI("audit", "verify"); code != 0 {
		t.Errorf("restored: %d", code)
	}
	raw.Exec(`DELETE FROM audit_log WHERE seq = 2`)
	code, stdout, stderr = runCLI("audit", "verify", "--json")
	if code != 1 || !strings.Contains(stdout, `"broken":2`) || !strings.Contains(stderr, "entry 2 is missing") {
		t.Errorf("after a deletion: %d %s %s", code, stdout, stderr)
	}
}
