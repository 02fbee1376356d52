package main

import (
	"bytes"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/sheet"
	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/separate"
)

const batchPattern = `
[[separator.pattern]]
match = '^(?P<year>\d{4})-(?P<seq>\d{3})$'
meta = { reference = "{value}", date = "{year}", document_type = "dossier" }
`

// The Batch screen reads separator sheets with the configuration's
// patterns, read again when a batch starts.
func TestGUIBatchRules(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(file, nil, 0o600)
	cfg, err := config.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var svc app.Services
	newGUIConfig(cfg, slog.New(slog.DiscardHandler)).wireBatch(&svc)
	img, err := sheet.Draw(sheet.Sheet{Kind: sheet.QR, Value: "2024-017", Marker: separate.DefaultMarker})
	if err != nil {
		t.Fatal(err)
	}
	look := func() pipeline.Mark {
		rules, err := svc.SeparatorRules()
		if err != nil {
			t.Fatal(err)
		}
		p := scan.NewPage(img, 300, 300, "sheet.png")
		return pipeline.Split{Rules: rules}.Look(&p)
	}
	if m := look(); m.Separator == nil || m.Separator.Value != "2024-017" || len(m.Separator.Fields) != 0 {
		t.Fatalf("no pattern yet: %+v", m.Separator)
	}
	os.WriteFile(file, []byte(batchPattern), 0o600)
	if m := look(); m.Separator == nil || m.Separator.Fields["reference"] != "2024-017" || m.Separator.Fields["date"] != "2024" {
		t.Fatalf("with the pattern: %+v", m.Separator)
	}
	os.WriteFile(file, []byte("[[separator.pattern]]\nmatch = '('\n"), 0o600)
	if _, err := svc.SeparatorRules(); err == nil {
		t.Error("a broken pattern was taken")
	}
}

// batchFolder writes a 7-page batch with the separator sheets of
// 2024-017 and 2024-018 into dir, for the Batch screen's screenshot.
func batchFolder(t *testing.T, dir string) {
	t.Helper()
	doc, err := os.ReadFile(testenv.Testdata("phototest.tif"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	for i, what := range []string{"doc", "doc", "2024-017", "doc", "doc", "2024-018", "doc"} {
		name := filepath.Join(dir, fmt.Sprintf("scan-%02d", i+1))
		if what == "doc" {
			os.WriteFile(name+".tif", doc, 0o644)
			continue
		}
		img, err := sheet.Draw(sheet.Sheet{Kind: sheet.QR, Value: what, Marker: separate.DefaultMarker})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		os.WriteFile(name+".png", b.Bytes(), 0o644)
	}
}
