// Package credentials keeps demat's secrets (target passwords and tokens,
// PKCS#12 passphrases, PINs) in the OS keyring through go-keyring: the
// macOS Keychain, the Windows Credential Manager, the Secret Service
// (gnome-keyring, KWallet, KeePassXC) on Linux and the BSDs.
//
// It owns the Secret type, which prints and logs as REDACTED so a value
// cannot reach a log line, an error or a file by accident, and the Store,
// one keyring entry per name under the service "demat".
//
// It must not fall back to anything else when the keyring is missing or
// locked (no file, no environment variable, no memory cache that outlives
// a call): it says so with ErrUnavailable and how to get a keyring. It must
// not put a secret's value in an error, a log line or a process argument.
package credentials
