// Package sftp is the upload target for an SFTP server (OpenSSH's
// internal-sftp or sftp-server, and servers that speak the same version
// 3 protocol).
//
// A document is written to a hidden temporary name derived from its
// delivery id, resumed from that file's size after a cut connection,
// synced (fsync@openssh.com) and read back whole to check its SHA-256,
// then moved into place with a plain SSH_FXP_RENAME, which the protocol
// defines as failing when the destination exists: a document already
// there is never overwritten. The server's host key is checked against
// a pinned fingerprint or a known_hosts file; an unknown key is refused,
// never accepted silently.
//
// It owns the SSH connection and its authentication (a key file, whose
// passphrase comes from the keyring, or a password). It must not know
// about the outbox, store credentials, or log: secrets reach it only
// through Options.Credential, and never leave it in an error or a
// receipt.
package sftp
