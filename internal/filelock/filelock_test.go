package filelock

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The lock is seen by another process, dropped when its holder dies, and
// leaves the file readable and movable.
func TestLockAcrossProcesses(t *testing.T) {
	if os.Getenv("FILELOCK_HOLD") != "" {
		f, err := Open(os.Getenv("FILELOCK_HOLD"))
		if err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("held\n")
		os.Stdin.Read(make([]byte, 1)) // until the parent closes stdin or kills us
		f.Close()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "scan.png")
	if err := os.WriteFile(path, []byte("page"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "FILELOCK_HOLD="+path)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	buf := make([]byte, 5)
	if n, _ := out.Read(buf); string(buf[:n]) != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not take the lock: %q", buf[:n])
	}

	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds it: %v, want ErrLocked", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "page" {
		t.Fatalf("the locked file cannot be read: %q, %v", b, err)
	}
	moved := path + ".moved"
	if err := os.Rename(path, moved); err != nil {
		t.Fatalf("the locked file cannot be moved: %v", err)
	}
	if _, err := Open(moved); !errors.Is(err, ErrLocked) {
		t.Fatalf("the lock did not follow the file: %v", err)
	}

	cmd.Process.Kill() // as kill -9 would
	cmd.Wait()
	f, err := Open(moved)
	if err != nil {
		t.Fatalf("the lock of a dead process is still held: %v", err)
	}
	defer f.Close()
	if !Still(f, moved) || Still(f, path) {
		t.Error("Still does not tell which path names the open file")
	}
	if _, err := Open(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
}
