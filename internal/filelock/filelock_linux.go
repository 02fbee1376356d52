//go:build linux

package filelock

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// open opens the file for writing as well when it may: an exclusive
// byte-range lock needs it (on NFS, flock(2) is one too). A file this
// user may only read gets a shared lock, which still tells a live holder
// of an exclusive one.
func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) {
		return os.Open(path)
	}
	return f, err
}

// try takes an open file description lock (conflicting between two opens,
// also in one process, and dropped with the last descriptor) on one byte
// at lockOffset, past any real file's end: NFS and SMB mounts pass such
// locks to the server, and SMB makes them mandatory, so locking the
// contents would stop the handler from reading them. Windows locks the
// same byte, so a Windows demat and a Linux one on one share see each
// other's locks.
func try(f *os.File) error {
	typ := int16(unix.F_WRLCK)
	if fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); err == nil && fl&unix.O_ACCMODE == unix.O_RDONLY {
		typ = unix.F_RDLCK
	}
	lk := unix.Flock_t{Type: typ, Whence: 0, Start: lockOffset, Len: 1}
	err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk)
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
		return ErrLocked
	}
	return err
}

func busy(error) bool { return false }
