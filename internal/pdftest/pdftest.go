// Package pdftest checks, in tests, the PDFs demat writes with real
// validators: qpdf, pdfcpu's strict validation and the structural PDF/A
// check.
package pdftest

import (
	"os"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/pdf"
)

// Validate runs qpdf --check and pdfcpu's strict validation on the PDF at
// path, and, when pdfa is set, the structural PDF/A check.
func Validate(t testing.TB, path string, pdfa bool) {
	t.Helper()
	out := testenv.Run(t, "qpdf", "--check", path)
	if !strings.Contains(out, "No syntax or stream encoding errors") {
		t.Errorf("qpdf --check %s: %s", path, out)
	}
	if err := strict(path); err != nil {
		t.Errorf("pdfcpu strict validation of %s: %v", path, err)
	}
	if pdfa {
		if err := pdf.CheckPDFA(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// strict runs pdfcpu's strict validation. pdfcpu (v0.15) knows the
// associated files' keys only from PDF 2.0, which took them from PDF/A-3
// (ISO 19005-3 adds them to PDF 1.7): it dates /AFRelationship from 2.0,
// and refuses the catalogue's /AF outright ("not supported"). A PDF/A-3
// file's associated files are validated by pdf.CheckPDFA instead; here
// the catalogue's /AF is set aside and /AFRelationship allowed, in memory,
// and every other rule applies unchanged.
func strict(path string) error {
	model.ConfigPath = "disable"
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	conf.Cmd = model.VALIDATE
	ctx, err := api.ReadContext(f, conf)
	if err != nil {
		return err
	}
	if cat, err := ctx.Catalog(); err == nil && cat["AF"] != nil {
		delete(cat, "AF")
		v := model.V20
		ctx.RootVersion = &v
	}
	return api.ValidateContext(ctx)
}
