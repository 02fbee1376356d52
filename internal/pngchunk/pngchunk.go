// Package pngchunk walks the chunks of a PNG file, for the readers that need
// its header, its checksums or its compressed pixels without decoding it.
package pngchunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Chunk is one PNG chunk; Data aliases the file.
type Chunk struct {
	Type string
	Data []byte
	crc  []byte // type and data, as the checksum covers them
	sum  uint32
}

// Valid reports whether the chunk's checksum matches its contents.
func (c Chunk) Valid() bool { return crc32.ChecksumIEEE(c.crc) == c.sum }

// Stop, returned by the callback, ends a walk without error.
var Stop = errors.New("pngchunk: stop")

// Walk calls fn for each chunk after the 8-byte signature, in order, until
// fn returns an error (Stop ends the walk cleanly) or the data ends. A chunk
// whose length runs past the end of data is an error naming its type.
func Walk(data []byte, fn func(Chunk) error) error {
	for i := 8; i+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || i+12+n > len(data) {
			return fmt.Errorf("PNG chunk %q runs past the end of the file", typ)
		}
		c := Chunk{Type: typ, Data: data[i+8 : i+8+n], crc: data[i+4 : i+8+n], sum: binary.BigEndian.Uint32(data[i+8+n:])}
		if err := fn(c); err != nil {
			if errors.Is(err, Stop) {
				return nil
			}
			return err
		}
		i += 12 + n
	}
	return nil
}
