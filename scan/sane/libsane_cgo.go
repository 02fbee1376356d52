//go:build cgo && (linux || freebsd || darwin)

package sane

/*
#cgo linux LDFLAGS: -lsane
#cgo freebsd darwin pkg-config: sane-backends
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sane/sane.h>

// The constraint is a union, which cgo shows as bytes: read it in C.
static const SANE_Range *desc_range(const SANE_Option_Descriptor *d) { return d->constraint.range; }
static const SANE_Word *desc_words(const SANE_Option_Descriptor *d) { return d->constraint.word_list; }
static const SANE_String_Const *desc_strings(const SANE_Option_Descriptor *d) { return d->constraint.string_list; }

static SANE_Status get_value(SANE_Handle h, SANE_Int i, void *v) {
	return sane_control_option(h, i, SANE_ACTION_GET_VALUE, v, NULL);
}
static SANE_Status set_value(SANE_Handle h, SANE_Int i, void *v, SANE_Int *info) {
	*info = 0;
	return sane_control_option(h, i, SANE_ACTION_SET_VALUE, v, info);
}
static SANE_Status set_auto(SANE_Handle h, SANE_Int i, SANE_Int *info) {
	*info = 0;
	return sane_control_option(h, i, SANE_ACTION_SET_AUTO, NULL, info);
}
static const SANE_Device *device_at(const SANE_Device **list, int i) { return list[i]; }

// move_stdout gives the protocol a new descriptor for standard output and
// points descriptor 1 at standard error, so that what backends print
// cannot mix with the pages.
static int move_stdout(void) {
	int fd = dup(1);
	if (fd < 0) return -1;
	if (dup2(2, 1) < 0) { close(fd); return -1; }
	return fd;
}
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// ignoreSIGPIPE makes writes to a closed pipe fail with EPIPE in every
// thread, backends' own included.
func ignoreSIGPIPE() { signal.Ignore(syscall.SIGPIPE) }

// openLibrary is sane_init.
func openLibrary() (library, error) {
	var version C.SANE_Int
	if st := C.sane_init(&version, nil); st != C.SANE_STATUS_GOOD {
		return nil, fmt.Errorf("sane_init: %w", status(st))
	}
	return saneLib{}, nil
}

// protectStdout, when out is the process's standard output, moves it away
// from descriptor 1 (see move_stdout) and returns the new file.
func protectStdout(out io.Writer) (io.Writer, error) {
	if out != os.Stdout {
		return out, nil
	}
	fd := C.move_stdout()
	if fd < 0 {
		return nil, fmt.Errorf("duplicate standard output")
	}
	return os.NewFile(uintptr(fd), "sane-protocol"), nil
}

func check(st C.SANE_Status) error {
	if st == C.SANE_STATUS_GOOD {
		return nil
	}
	return status(st)
}

type saneLib struct{}

func (saneLib) devices() ([]deviceInfo, error) {
	var list **C.SANE_Device
	if err := check(C.sane_get_devices(&list, C.SANE_FALSE)); err != nil {
		return nil, err
	}
	var out []deviceInfo
	for i := 0; list != nil; i++ {
		d := C.device_at(list, C.int(i))
		if d == nil {
			break
		}
		out = append(out, deviceInfo{
			Name:   goString(d.name),
			Vendor: goString(d.vendor),
			Model:  goString(d.model),
			Type:   goString(d._type),
		})
	}
	return out, nil
}

func (saneLib) open(name string) (handle, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var h C.SANE_Handle
	if err := check(C.sane_open(cname, &h)); err != nil {
		return nil, err
	}
	return &saneHandle{h: h}, nil
}

func (saneLib) exit() { C.sane_exit() }

func goString(s C.SANE_String_Const) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

type saneHandle struct {
	h C.SANE_Handle
}

func (s *saneHandle) descriptors() ([]optDesc, error) {
	var n C.SANE_Int
	if err := check(C.get_value(s.h, 0, unsafe.Pointer(&n))); err != nil {
		return nil, fmt.Errorf("option count: %w", err)
	}
	if n < 1 || n > 10000 {
		return nil, fmt.Errorf("the backend says it has %d options", int(n))
	}
	opts := make([]optDesc, int(n))
	for i := range opts {
		d := C.sane_get_option_descriptor(s.h, C.SANE_Int(i))
		if d == nil {
			continue
		}
		o := optDesc{
			Name:       goString(d.name),
			Title:      goString(d.title),
			Type:       optType(d._type),
			Unit:       optUnit(d.unit),
			Size:       int(d.size),
			Cap:        int(d.cap),
			Constraint: constraintKind(d.constraint_type),
		}
		switch o.Constraint {
		case constraintRange:
			if r := C.desc_range(d); r != nil {
				o.Min, o.Max, o.Quant = int32(r.min), int32(r.max), int32(r.quant)
			} else {
				o.Constraint = constraintNone
			}
		case constraintWordList:
			if w := C.desc_words(d); w != nil {
				// The first word is the length of the list.
				words := unsafe.Slice((*C.SANE_Word)(unsafe.Pointer(w)), int(*w)+1)
				for _, x := range words[1:] {
					o.Words = append(o.Words, int32(x))
				}
			} else {
				o.Constraint = constraintNone
			}
		case constraintStringList:
			if l := C.desc_strings(d); l != nil {
				for p := l; *p != nil; p = (*C.SANE_String_Const)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
					o.Strings = append(o.Strings, C.GoString(*p))
				}
			} else {
				o.Constraint = constraintNone
			}
		}
		opts[i] = o
	}
	return opts, nil
}

func (s *saneHandle) getWords(i, n int) ([]int32, error) {
	buf := make([]C.SANE_Word, n)
	if err := check(C.get_value(s.h, C.SANE_Int(i), unsafe.Pointer(&buf[0]))); err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for k, w := range buf {
		out[k] = int32(w)
	}
	return out, nil
}

func (s *saneHandle) setWords(i int, w []int32) (int, error) {
	buf := make([]C.SANE_Word, len(w))
	for k, x := range w {
		buf[k] = C.SANE_Word(x)
	}
	var info C.SANE_Int
	err := check(C.set_value(s.h, C.SANE_Int(i), unsafe.Pointer(&buf[0]), &info))
	return int(info), err
}

func (s *saneHandle) setString(i int, v string) (int, error) {
	// The backend may write into the buffer (a corrected value): give it
	// the option's whole size.
	size := len(v) + 1
	if d := C.sane_get_option_descriptor(s.h, C.SANE_Int(i)); d != nil && int(d.size) > size {
		size = int(d.size)
	}
	buf := (*C.char)(C.calloc(1, C.size_t(size)))
	defer C.free(unsafe.Pointer(buf))
	if len(v) > 0 {
		C.memcpy(unsafe.Pointer(buf), unsafe.Pointer(unsafe.StringData(v)), C.size_t(len(v)))
	}
	var info C.SANE_Int
	err := check(C.set_value(s.h, C.SANE_Int(i), unsafe.Pointer(buf), &info))
	return int(info), err
}

func (s *saneHandle) press(i int) (int, error) {
	var info C.SANE_Int
	err := check(C.set_value(s.h, C.SANE_Int(i), nil, &info))
	return int(info), err
}

func (s *saneHandle) setAuto(i int) (int, error) {
	var info C.SANE_Int
	err := check(C.set_auto(s.h, C.SANE_Int(i), &info))
	return int(info), err
}

func (s *saneHandle) start() error { return check(C.sane_start(s.h)) }

var frameFormats = map[C.SANE_Frame]string{
	C.SANE_FRAME_GRAY: "gray", C.SANE_FRAME_RGB: "rgb",
	C.SANE_FRAME_RED: "red", C.SANE_FRAME_GREEN: "green", C.SANE_FRAME_BLUE: "blue",
}

func (s *saneHandle) parameters() (frameInfo, error) {
	var p C.SANE_Parameters
	if err := check(C.sane_get_parameters(s.h, &p)); err != nil {
		return frameInfo{}, err
	}
	format, ok := frameFormats[p.format]
	if !ok {
		format = fmt.Sprintf("format %d", int(p.format))
	}
	return frameInfo{
		Format:       format,
		Last:         p.last_frame != 0,
		BytesPerLine: int(p.bytes_per_line),
		Pixels:       int(p.pixels_per_line),
		Lines:        int(p.lines),
		Depth:        int(p.depth),
	}, nil
}

func (s *saneHandle) read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n C.SANE_Int
	st := C.sane_read(s.h, (*C.SANE_Byte)(unsafe.Pointer(&b[0])), C.SANE_Int(min(len(b), 1<<30)), &n)
	switch st {
	case C.SANE_STATUS_GOOD:
		return int(n), nil
	case C.SANE_STATUS_EOF:
		return int(n), io.EOF
	}
	return 0, status(st)
}

func (s *saneHandle) cancel() { C.sane_cancel(s.h) }
func (s *saneHandle) close()  { C.sane_close(s.h) }
