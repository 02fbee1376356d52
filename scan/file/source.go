package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/demat-app/demat/scan"
)

// Source is the scan.Source over files: a device is a file or a folder,
// read like a feeder, one page after the other.
type Source struct {
	// Options apply to every job.
	Options Options
}

var _ scan.Source = (*Source)(nil)

// DeviceFor names the device that reads path (a file or a folder).
func DeviceFor(path string) (scan.Device, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return scan.Device{}, fmt.Errorf("%s: %w", path, err)
	}
	return scan.Device{ID: "file:" + abs, Name: filepath.Base(abs), Driver: "file"}, nil
}

// Devices lists nothing: files are not discovered, they are named.
func (s *Source) Devices(ctx context.Context) ([]scan.Device, error) { return nil, nil }

// Caps says a file device is a feeder: it holds as many pages as the
// files do, at their own resolution and colours.
func (s *Source) Caps(ctx context.Context, dev scan.Device) (scan.Caps, error) {
	path, err := devicePath(dev)
	if err != nil {
		return scan.Caps{}, err
	}
	if _, err := os.Stat(path); err != nil {
		return scan.Caps{}, fmt.Errorf("file: %s: %w", path, scan.ErrNotFound)
	}
	return scan.Caps{Inputs: []scan.InputCaps{{Input: scan.Feeder}}}, nil
}

// errEnough stops reading once the job's page limit is reached.
var errEnough = errors.New("page limit reached")

// Scan reads the device's files in order. The job's resolution and mode
// do not apply: files keep their own (Options.DPI forces a resolution).
func (s *Source) Scan(ctx context.Context, dev scan.Device, opt scan.Options, emit func(scan.Page) error) error {
	path, err := devicePath(dev)
	if err != nil {
		return err
	}
	n := 0
	err = Read(ctx, []string{path}, s.Options, func(p scan.Page) error {
		// Readers look at ctx between files; a cancel seen between two
		// pages of one file must stop the job too.
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(p); err != nil {
			return err
		}
		n++
		if opt.Pages > 0 && n >= opt.Pages {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

func devicePath(dev scan.Device) (string, error) {
	path, ok := strings.CutPrefix(dev.ID, "file:")
	if !ok || path == "" {
		return "", fmt.Errorf("file: device %q is not a file device (file:PATH)", dev.ID)
	}
	return path, nil
}
