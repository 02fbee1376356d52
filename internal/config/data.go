package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DataDir is where demat keeps its state: the database (outbox,
// register) and the outbox's spool of documents waiting for delivery.
// DEMAT_DATA when set; else $XDG_DATA_HOME/demat or ~/.local/share/demat
// on Linux and the BSDs, ~/Library/Application Support/demat on macOS,
// %LOCALAPPDATA%\demat on Windows. It holds no secret.
func DataDir() (string, error) {
	if d := os.Getenv("DEMAT_DATA"); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "demat"), nil
		}
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support", "demat"), nil
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "demat"), nil
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share", "demat"), nil
		}
	}
	return "", fmt.Errorf("config: no data folder (no home folder): set DEMAT_DATA to one")
}
