package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/internal/testenv"
)

// The acceptance of the depositor's receipt: a document registered with
// --receipt gets a PDF/A receipt whose QR code, rendered at 150 dpi and
// photographed (turned 3°, JPEG), demat receipt verify confirms against
// the register and zbarimg reads; a receipt whose payload is altered is
// refused; a receipt of a voided entry no longer matches.
func TestReceiptCLI(t *testing.T) {
	testenv.Require(t, "pdftoppm", "convert", "zbarimg")
	cfg, _ := registerEnv(t)
	dir := t.TempDir()
	const pass = "desk pass"
	p12, caPEM := testPKI(t, dir, pass)
	os.WriteFile(cfg, []byte("[register]\nformat = \"AJR/{year}/{code}/{seq:6}\"\nservice = \"Bureau d'ordre — Direction X\"\ncertificate = \""+p12+"\"\n"), 0o600)
	if code, _, stderr := runCLIIn(pass, "credentials", "set", "--stdin", "agent.p12"); code != 0 {
		t.Fatalf("credentials set: %s", stderr)
	}
	doc, recu := filepath.Join(dir, "courrier.pdf"), filepath.Join(dir, "recu.pdf")
	code, stdout, stderr := runCLI("process", "-l", "eng", "--register", "incoming", "--meta", "sender=Commune de Salé",
		"--meta", "subject=Demande de permis", "--receipt", recu, "--receipt-layout", "80mm", "-o", doc, testenv.Testdata("phototest.tif"))
	if code != 0 || !strings.Contains(stdout, "receipt of AJR/") {
		t.Fatalf("process --receipt: %d %s %s", code, stdout, stderr)
	}
	pdftest.Validate(t, recu, true)
	number := listRegister(t)[0].Number

	base := filepath.Join(dir, "recu")
	testenv.Run(t, "pdftoppm", "-png", "-r", "150", "-singlefile", recu, base)
	photo := filepath.Join(dir, "photo.jpg")
	testenv.Run(t, "convert", base+".png", "-background", "white", "-rotate", "3", "-quality", "85", photo)
	code, stdout, stderr = runCLI("receipt", "verify", photo)
	if code != 0 || !strings.Contains(stdout, "genuine: "+number) || !strings.Contains(stdout, "Matches the register") {
		t.Fatalf("verify the photograph: %d %s %s", code, stdout, stderr)
	}
	payload := strings.TrimSpace(testenv.Run(t, "zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", photo))
	if !strings.HasPrefix(payload, "DEMATR1;n="+number+";") {
		t.Fatalf("zbarimg read %q", payload)
	}
	if code, stdout, stderr = runCLI("receipt", "verify", "--trust", caPEM, recu); code != 0 {
		t.Errorf("verify the PDF, --trust: %d %s %s", code, stdout, stderr)
	}
	_, otherCA := testPKI(t, t.TempDir(), pass)
	if code, _, stderr = runCLI("receipt", "verify", "--trust", otherCA, recu); code != 1 || !strings.Contains(stderr, "not trusted") {
		t.Errorf("verify with the wrong authority: %d %s", code, stderr)
	}

	// An altered payload (one more page), printed as a new QR code.
	altered := strings.Replace(payload, ";p=1;", ";p=2;", 1)
	if altered == payload {
		t.Fatalf("payload %q has no p=1", payload)
	}
	fake := filepath.Join(dir, "fake.png")
	writeQR(t, fake, altered)
	if code, _, stderr = runCLI("receipt", "verify", fake); code != 1 || !strings.Contains(stderr, "not genuine") {
		t.Errorf("an altered receipt: %d %s", code, stderr)
	}
	// Not a receipt at all.
	writeQR(t, fake, "https://example.org/")
	if code, _, stderr = runCLI("receipt", "verify", fake); code != 1 || !strings.Contains(stderr, "not a demat receipt") {
		t.Errorf("another QR code: %d %s", code, stderr)
	}

	// demat register receipt, in Arabic on A5; a voided entry's receipt
	// no longer matches.
	ar := filepath.Join(dir, "recu-ar.pdf")
	if code, stdout, stderr = runCLI("register", "receipt", number, "--lang", "ar", "--layout", "a5", "-o", ar); code != 0 {
		t.Fatalf("register receipt: %d %s %s", code, stdout, stderr)
	}
	pdftest.Validate(t, ar, true)
	if code, _, stderr = runCLI("receipt", "verify", ar); code != 0 {
		t.Errorf("verify the Arabic receipt: %d %s", code, stderr)
	}
	if code, _, stderr = runCLI("register", "void", number, "--reason", "test"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr = runCLI("receipt", "verify", ar); code != 1 || !strings.Contains(stderr, "void") {
		t.Errorf("verify a voided entry's receipt: %d %s", code, stderr)
	}
	if code, _, stderr = runCLI("receipt", "verify", "--signature-only", ar); code != 0 {
		t.Errorf("--signature-only: %d %s", code, stderr)
	}
	if code, _, stderr = runCLI("process", "--receipt", recu, "-o", doc, testenv.Testdata("phototest.tif")); code != 2 {
		t.Errorf("--receipt without --register: %d %s", code, stderr)
	}
}

// writeQR writes a QR code of text as a PNG, as a forger would print it.
func writeQR(t *testing.T, path, text string) {
	t.Helper()
	c, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	c, err = barcode.Scale(c, 8*c.Bounds().Dx(), 8*c.Bounds().Dy())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, c); err != nil {
		t.Fatal(err)
	}
}
