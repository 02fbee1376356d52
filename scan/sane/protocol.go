package sane

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/demat-app/demat/scan"
)

// The protocol between the Driver (parent) and Serve (child).
//
// Every message is a 4-byte big-endian length, that many bytes of JSON
// (a message), and, when the message's n is not zero, n raw bytes. Only
// data messages carry raw bytes: the pixels of the current frame exactly as
// sane_read delivered them, so that a 100 MB page crosses the pipe without
// being encoded or held twice.
//
// The child speaks first (hello). Then the parent sends one request at a
// time and reads the answer:
//
//	devices             → devices | error
//	caps {device}       → caps | error
//	scan {device, job}  → ready {job}, then for each page N:
//	                        next {page N}        child waits for the parent:
//	                        ← go {options}       set these, then sane_start
//	                        ← stop               sane_cancel, then end
//	                        frame, data…, frame_end  (three frames for a three-pass scanner)
//	                      and last end | error {status, page}
//
// cancel may be sent at any time during a scan: the child stops at the
// next sane_read or page boundary, calls sane_cancel and answers error
// {status CANCELLED}. Closing the child's standard input ends it.

// protocolVersion changes whenever a message changes meaning, so that a
// parent and a child from different builds refuse each other instead of
// misreading pixels.
const protocolVersion = 1

// Message types.
const (
	msgHello    = "hello"
	msgDevices  = "devices"
	msgCaps     = "caps"
	msgScan     = "scan"
	msgReady    = "ready"
	msgNext     = "next"
	msgGo       = "go"
	msgStop     = "stop"
	msgCancel   = "cancel"
	msgFrame    = "frame"
	msgData     = "data"
	msgFrameEnd = "frame_end"
	msgError    = "error"
	msgEnd      = "end"
)

// Limits that tell a garbled stream from a real one: a JSON header is a
// few hundred bytes, a data chunk at most what the child buffers.
const (
	maxHeader = 1 << 20
	maxChunk  = 16 << 20
)

// message is every message of the protocol; Type says which fields mean
// something.
type message struct {
	Type string `json:"t"`
	// Len raw bytes follow the JSON (data messages).
	Len     int    `json:"n,omitempty"`
	Version int    `json:"v,omitempty"`
	Device  string `json:"device,omitempty"`
	// Job is the scan asked for (scan), then as the child resolved it
	// against the device (ready: Input, Mode and Resolution filled in).
	Job *scan.Options `json:"job,omitempty"`
	// Options are set before the next page (go).
	Options []scan.DeviceOption `json:"options,omitempty"`
	Page    int                 `json:"page,omitempty"`
	Frame   *frameInfo          `json:"frame,omitempty"`
	Devices []deviceInfo        `json:"devices,omitempty"`
	Caps    *scan.Caps          `json:"caps,omitempty"`
	Error   *wireError          `json:"error,omitempty"`
}

// frameInfo is sane_get_parameters after sane_start, and the resolution
// the device was actually set to.
type frameInfo struct {
	// Format is gray, rgb, red, green or blue.
	Format       string  `json:"format"`
	Last         bool    `json:"last"`
	BytesPerLine int     `json:"bytes_per_line"`
	Pixels       int     `json:"pixels_per_line"`
	Lines        int     `json:"lines"` // -1: unknown until the frame ends (hand scanners)
	Depth        int     `json:"depth"`
	XDPI         float64 `json:"xdpi,omitempty"`
	YDPI         float64 `json:"ydpi,omitempty"`
}

// deviceInfo is one SANE_Device.
type deviceInfo struct {
	Name   string `json:"name"`
	Vendor string `json:"vendor,omitempty"`
	Model  string `json:"model,omitempty"`
	Type   string `json:"type,omitempty"`
}

// Kinds of errors that are not a SANE status.
const (
	kindNotFound      = "not_found"      // sane_open does not know the device
	kindInvalidOption = "invalid_option" // demat refused a setting before the backend saw it
	kindNoSANE        = "no_sane"        // this build has no libsane
)

// wireError is a failure in the child: a SANE status (Status != 0), or
// one of the kinds above, or a plain message.
type wireError struct {
	Status  int    `json:"status,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message"`
	// Page is the page being read when it happened, 0 before the first.
	Page int `json:"page,omitempty"`
}

// errProtocol reports a stream that is not the protocol: a wrong program
// at the other end, or a backend writing on standard output.
var errProtocol = errors.New("not the demat SANE protocol")

// writeMessage writes m followed by data (m.Len is set to len(data)).
func writeMessage(w io.Writer, m *message, data []byte) error {
	m.Len = len(data)
	js, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	buf := make([]byte, 4, 4+len(js))
	binary.BigEndian.PutUint32(buf, uint32(len(js)))
	buf = append(buf, js...)
	if _, err := w.Write(buf); err != nil {
		return err
	}
	if len(data) > 0 {
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// readMessage reads the next message header. The caller must then consume
// exactly m.Len raw bytes from r.
func readMessage(r io.Reader) (message, error) {
	var m message
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return m, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size == 0 || size > maxHeader {
		return m, fmt.Errorf("%w: header of %d bytes", errProtocol, size)
	}
	js := make([]byte, size)
	if _, err := io.ReadFull(r, js); err != nil {
		return m, noEOF(err)
	}
	if js[0] != '{' {
		return m, fmt.Errorf("%w: %q", errProtocol, truncate(string(js), 40))
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return m, fmt.Errorf("%w: %v", errProtocol, err)
	}
	if m.Type == "" || m.Len < 0 || m.Len > maxChunk || (m.Len > 0 && m.Type != msgData) {
		return m, fmt.Errorf("%w: %s message with %d bytes", errProtocol, m.Type, m.Len)
	}
	return m, nil
}

// noEOF turns an EOF in the middle of a message into ErrUnexpectedEOF: only
// an EOF between messages is a clean end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
