package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/demat-app/demat/internal/filelock"
	"github.com/demat-app/demat/ocr"
)

// export writes one text format per page (ALTO or hOCR) into a folder. The
// files are staged in a hidden folder beside them and moved into place
// only when the document is complete, like the PDF: a failed run leaves
// none of them.
type export struct {
	dir, stem, ext string
	write          func(*bytes.Buffer, *ocr.Result, ocr.PageInfo) error
	staging        string
	lockFile       *os.File
	names          []string
}

// exportName is a page's file name: the document's name and the page
// number, e.g. letter-0003.xml.
func exportName(stem string, page int, ext string) string {
	return fmt.Sprintf("%s-%04d%s", stem, page, ext)
}

func newExport(dir, stem, ext string, write func(*bytes.Buffer, *ocr.Result, ocr.PageInfo) error, force bool) (*export, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder: create it first", dir)
	}
	if !force {
		if _, err := os.Lstat(filepath.Join(dir, exportName(stem, 1, ext))); err == nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, exportName(stem, 1, ext)), ErrExists)
		}
	}
	removeStaleStaging(dir, stem+ext)
	staging, err := os.MkdirTemp(dir, "."+stem+ext+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	f, err := os.Create(filepath.Join(staging, ".lock"))
	if err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	filelock.Try(f) // held while we write: see removeStaleStaging
	return &export{dir: dir, stem: stem, ext: ext, write: write, staging: staging, lockFile: f}, nil
}

// removeStaleStaging deletes the staging folders that killed runs left
// behind: a run holds a lock on its folder's lock file until it ends.
func removeStaleStaging(dir, base string) {
	old, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+".*.partial"))
	for _, p := range old {
		// Where the system has no locks, nothing can be told stale.
		f, err := os.Open(filepath.Join(p, ".lock"))
		if err != nil {
			continue
		}
		stale := filelock.Try(f) == nil
		f.Close() // before removing: Windows keeps an open file
		if stale {
			os.RemoveAll(p)
		}
	}
}

// page writes one page's file into the staging folder.
func (e *export) page(r *ocr.Result, info ocr.PageInfo) error {
	if r == nil {
		r = &ocr.Result{} // a page without text still has its file
	}
	var b bytes.Buffer
	if err := e.write(&b, r, info); err != nil {
		return fmt.Errorf("%s: %w", e.dir, err)
	}
	name := exportName(e.stem, info.Number, e.ext)
	if err := os.WriteFile(filepath.Join(e.staging, name), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(e.dir, name), err)
	}
	e.names = append(e.names, name)
	return nil
}

// commit moves the pages' files into the folder; without force it refuses
// to replace one that appeared there in the meantime.
func (e *export) commit(force bool) error {
	for _, n := range e.names {
		if f, err := os.Open(filepath.Join(e.staging, n)); err == nil {
			f.Sync()
			f.Close()
		}
	}
	for _, n := range e.names {
		src, dst := filepath.Join(e.staging, n), filepath.Join(e.dir, n)
		if !force {
			if _, err := os.Lstat(dst); err == nil {
				return fmt.Errorf("%s: %w", dst, ErrExists)
			}
		}
		if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", dst, err)
		}
	}
	syncDir(e.dir)
	e.discard()
	return nil
}

// discard removes the staging folder and what is left in it.
func (e *export) discard() {
	if e == nil || e.lockFile == nil {
		return
	}
	e.lockFile.Close()
	e.lockFile = nil
	os.RemoveAll(e.staging)
}
