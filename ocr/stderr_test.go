//go:build unix

package ocr

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
)

// Clients starting together must leave standard error where it was
// (gosseract redirects it while a client starts): otherwise every
// message the program writes afterwards is lost.
func TestClientsKeepStderr(t *testing.T) {
	var before syscall.Stat_t
	if err := syscall.Fstat(2, &before); err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile("../testdata/phototest.tif")
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		e, err := NewTesseract(Options{Languages: []string{"eng"}, Workers: 4})
		if err != nil {
			t.Fatalf("%v (run make deps)", err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Recognize(context.Background(), Image{Data: img, DPI: 200}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		e.Close()
		var after syscall.Stat_t
		if err := syscall.Fstat(2, &after); err != nil {
			t.Fatal(err)
		}
		if after.Dev != before.Dev || after.Ino != before.Ino {
			t.Fatalf("round %d: standard error now points elsewhere (inode %d, was %d)", round, after.Ino, before.Ino)
		}
	}
}
