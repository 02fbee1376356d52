package file_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/demat-app/demat/scan/file"
	"github.com/demat-app/demat/scan/scantest"
)

func TestSourceConformance(t *testing.T) {
	dir := t.TempDir()
	// A folder of three pages: two from a G4 TIFF, one PNG.
	for _, f := range []string{"multipage-g4.tif", "letter-fr-ar.png"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dev, err := file.DeviceFor(dir)
	if err != nil {
		t.Fatal(err)
	}
	scantest.Run(t, scantest.Harness{
		Source:     &file.Source{},
		Device:     dev,
		BatchPages: 3,
	})
}
