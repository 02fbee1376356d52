//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

// The platforms where go-keyring uses the system's own keyring (macOS
// Keychain, Windows Credential Manager) or none.

package credentials

const (
	// fixNoKeyring says how to get a keyring.
	fixNoKeyring = "run demat in a logged-in desktop session of macOS or Windows, or on Linux with a Secret Service (GNOME, KDE)"
	// fixUnanswered covers an access prompt nobody answered.
	fixUnanswered = "answer the keychain's prompt, or unlock it, then try again"
)

// check has nothing to check: the Keychain and the Credential Manager are
// part of the logged-in session.
func check() error { return nil }

// classify has no platform errors to recognise.
func classify(error) *unavailableError { return nil }
