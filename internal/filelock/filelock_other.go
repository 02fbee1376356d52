//go:build !unix && !windows

package filelock

import (
	"errors"
	"os"
)

func open(path string) (*os.File, error) { return os.Open(path) }

func try(*os.File) error { return errors.ErrUnsupported }

func busy(error) bool { return false }
