//go:build !cgo

package keys

import "fmt"

// OpenToken needs cgo to load a PKCS#11 module; this build has none, so it
// returns an error wrapping ErrNoCgo.
func OpenToken(ref TokenRef, pin string) (*Key, error) {
	return nil, fmt.Errorf("keys: open token %q: %w; PKCS#11 tokens need a demat built with cgo (CGO_ENABLED=1), or use a PKCS#12 file", ref.Token, ErrNoCgo)
}
