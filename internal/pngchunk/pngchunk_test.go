package pngchunk

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

func chunk(typ string, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(body)))
	b.WriteString(typ)
	b.Write(body)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	return b.Bytes()
}

func TestWalk(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", make([]byte, 13))...)
	png = append(png, chunk("IDAT", []byte{1, 2, 3})...)
	png = append(png, chunk("IEND", nil)...)
	png[8+8] ^= 1 // damage IHDR's data
	var got []string
	err := Walk(png, func(c Chunk) error {
		got = append(got, c.Type+map[bool]string{true: "+", false: "!"}[c.Valid()])
		return nil
	})
	if err != nil || strings.Join(got, " ") != "IHDR! IDAT+ IEND+" {
		t.Errorf("Walk = %v, %v", got, err)
	}
	n := 0
	Walk(png, func(Chunk) error { n++; return Stop })
	if n != 1 {
		t.Errorf("Stop did not end the walk: %d chunks", n)
	}
	if err := Walk(png[:44], func(Chunk) error { return nil }); err == nil || !strings.Contains(err.Error(), "IDAT") {
		t.Errorf("truncated: %v", err)
	}
}
