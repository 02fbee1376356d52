// Package upload delivers finished documents: the Target interface and its
// implementations (folder, WebDAV, SFTP, tus resumable HTTP), the durable
// outbox that keeps deliveries across crashes and lost connections, and
// credentials, which live only in the OS keyring (go-keyring).
//
// It must not import fyne.
package upload
