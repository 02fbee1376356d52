package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

func newTargetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Configure where documents are delivered: folders, WebDAV, SFTP, tus servers",
		Long: `A target is a place demat delivers documents to: a local or network folder,
a WebDAV space (Nextcloud, SharePoint, Alfresco, Apache), an SFTP drop, or an
HTTP deposit service speaking tus (resumable uploads). Targets are kept in the
configuration file without their password: store that in the OS keyring with
demat credentials set NAME.

With no target configured, documents go to the "documents" target: a demat
folder in your documents folder.`,
		Args: usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newTargetAddCmd(), newTargetListCmd(), newTargetRemoveCmd(), newTargetTestCmd())
	return cmd
}

func newTargetAddCmd() *cobra.Command {
	var t config.Target
	cmd := &cobra.Command{
		Use:   "add NAME --kind folder|webdav|sftp|tus --url URL",
		Short: "Add a target to the configuration",
		Example: `  demat target add archives --kind folder --url /mnt/archives --path "{year}/{direction}/{reference}.pdf"
  demat target add cloud --kind webdav --url https://cloud.example.org/remote.php/dav/files/agent/Courrier --user agent
  demat target add depot --kind sftp --url sftp://depot.example.org/incoming --user demat --key-file ~/.ssh/id_ed25519
  demat target add guichet --kind tus --url https://guichet.example.org/files/ --user desk12
  demat target add bo --kind tus --url https://bo.example.gov/files/ --user desk12 --number-header X-Registration-Number
  demat credentials set cloud`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			t.Name = args[0]
			if t.Name == documentsTarget {
				return usageError{fmt.Errorf("%q is the built-in documents folder: choose another name", documentsTarget)}
			}
			if t.Path != "" {
				if _, err := upload.Path(t.Path, samplePathVars(), time.Now()); err != nil && !strings.Contains(err.Error(), "no value") {
					return usageError{fmt.Errorf("--path: %w", err)}
				}
			}
			if err := t.Check(); err != nil {
				return usageError{err}
			}
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			if err := cfg.AddTarget(t); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Added target %s (%s, %s) to %s.\n", t.Name, t.Kind, upload.Redact(t.URL), cfg.File())
			if name := t.CredentialName(); name != "" && !(t.Kind == "sftp" && t.KeyFile != "") {
				if ok, err := credentials.New().Has(name); err == nil && !ok {
					fmt.Fprintf(w, "Store its password in the keyring: demat credentials set %s\n", name)
				}
			}
			fmt.Fprintf(w, "Check it works: demat target test %s\n", t.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&t.Kind, "kind", "", "folder, webdav, sftp or tus (required)")
	f.StringVar(&t.URL, "url", "", "where: a folder, an https:// WebDAV collection, sftp://host[:port]/folder, or a tus creation URL (required)")
	f.StringVar(&t.User, "user", "", "the login name at the server")
	f.StringVar(&t.Path, "path", "", "where each document goes under the target, from its metadata, e.g. \"{year}/{direction}/{reference}.pdf\" (default: its file name)")
	f.StringVar(&t.Credential, "credential", "", "the keyring `name` of the password, key passphrase or token (default: the target's name; none for no secret)")
	f.StringVar(&t.CAFile, "ca-file", "", "also trust the certificate authorities in this PEM `file` (https)")
	f.StringArrayVar(&t.Pins, "pin", nil, "accept the server certificate with this SHA-256 `fingerprint` whoever issued it (repeatable)")
	f.IntVar(&t.Parallel, "parallel", 0, "documents sent at once (default 2)")
	f.StringVar(&t.KeyFile, "key-file", "", "SSH private key `file` (sftp)")
	f.StringVar(&t.KnownHosts, "known-hosts", "", "OpenSSH known_hosts `file` the server's key must be in (sftp; default ~/.ssh/known_hosts)")
	f.StringVar(&t.HostKey, "host-key", "", "the server's host key `fingerprint`, SHA256:… as ssh-keygen -lf prints it (sftp)")
	f.BoolVar(&t.Bearer, "bearer", false, "send the credential as a bearer token, not a password (tus)")
	f.StringVar(&t.NumberHeader, "number-header", "", "the `header` of the server's answer holding the registration number it gives each document, e.g. X-Registration-Number (webdav, tus)")
	f.StringVar(&t.NumberJSON, "number-json", "", "a JSON `pointer` to that number in the server's JSON answer, e.g. /registration/number (webdav, tus)")
	cmd.MarkFlagRequired("kind")
	cmd.MarkFlagRequired("url")
	return cmd
}

// samplePathVars are values for every metadata key, to check a template.
func samplePathVars() map[string]string {
	return map[string]string{"name": "x", "id": "1", "title": "x", "author": "x", "subject": "x", "keywords": "x",
		"language": "fr", "date": "2026-01-01", "reference": "x", "sender": "x", "recipient": "x",
		"direction": "incoming", "document_type": "x", "confidentiality": "x", "registration_number": "x",
		"received": "2026-01-01"}
}

func newTargetListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the targets",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			def := defaultTargetName(cfg)
			all := append([]config.Target(nil), cfg.Targets...)
			if _, ok := cfg.FindTarget(documentsTarget); !ok {
				if dt, err := targetConfig(cfg, documentsTarget); err == nil {
					all = append(all, dt)
				}
			}
			for _, t := range all {
				mark := " "
				if t.Name == def {
					mark = "*"
				}
				line := fmt.Sprintf("%s %-14s %-7s %s", mark, t.Name, t.Kind, upload.Redact(t.URL))
				if t.User != "" {
					line += "  user " + t.User
				}
				if t.Path != "" {
					line += "  path " + t.Path
				}
				if c := t.CredentialName(); c != "" {
					line += "  credential " + c
				}
				if src := (upload.NumberSource{Header: t.NumberHeader, JSON: t.NumberJSON}); !src.IsZero() {
					line += "  number from " + src.String()
				}
				fmt.Fprintln(w, line)
			}
			fmt.Fprintln(w, "(* is where documents go when no target is named)")
			return nil
		},
	}
}

func newTargetRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a target from the configuration (its password stays in the keyring: demat credentials delete)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			t, ok := cfg.FindTarget(args[0])
			if !ok {
				return fmt.Errorf("no target named %q (demat target list shows them)", args[0])
			}
			if err := cfg.RemoveTarget(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed target %s from %s.\n", t.Name, cfg.File())
			if c := t.CredentialName(); c != "" {
				if ok, err := credentials.New().Has(c); err == nil && ok {
					fmt.Fprintf(cmd.OutOrStdout(), "Its password is still in the keyring: demat credentials delete %s\n", c)
				}
			}
			return nil
		},
	}
}

func newTargetTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Connect to a target, log in, write a small probe file and remove it",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			tc, err := targetConfig(cfg, args[0])
			if err != nil {
				return err
			}
			t, _, err := openTarget(tc, credentials.New())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			rec, err := probeReceipt(ctx, t)
			if err != nil {
				return fmt.Errorf("target %s: %w", tc.Name, explain(err, tc))
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s works: wrote and removed %s in %.1f s.\n", tc.Name, rec.Location, time.Since(start).Seconds())
			switch {
			case rec.Number != "":
				// A registering server numbered the probe: that number is
				// used at the server even though the file is gone.
				fmt.Fprintf(w, "The server gave the probe the registration number %s: it registers what it receives, so ask its administrators to cancel that number.\n", rec.Number)
			case rec.NumberNote != "":
				fmt.Fprintf(w, "But %s: check number_header and number_json with the server's administrators.\n", rec.NumberNote)
			}
			return nil
		},
	}
}

// probe writes a small file to t and removes it, and says where it was.
func probe(ctx context.Context, t upload.Target) (string, error) {
	rec, err := probeReceipt(ctx, t)
	return rec.Location, err
}

// probeReceipt is probe giving the delivery's receipt.
func probeReceipt(ctx context.Context, t upload.Target) (upload.Receipt, error) {
	b := make([]byte, 6)
	rand.Read(b)
	id := "probe-" + hex.EncodeToString(b)
	data := []byte("demat target test " + time.Now().UTC().Format(time.RFC3339) + "\n")
	sum := sha256.Sum256(data)
	doc := upload.Doc{
		ID: id, Name: ".demat-" + id + ".txt", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		ContentType: "text/plain", Meta: map[string]string{"title": "demat target test"},
	}
	rec, err := t.Put(ctx, doc, func(off int64) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(string(data[off:]))), nil
	})
	if err != nil {
		return rec, err
	}
	name := doc.Name
	if rec.ServerID != "" && strings.Contains(rec.ServerID, "://") {
		name = rec.ServerID
	}
	if d, ok := t.(upload.Deleter); ok {
		if err := d.Delete(ctx, name); err != nil {
			return rec, fmt.Errorf("wrote %s but could not remove it: %w", rec.Location, err)
		}
	}
	return rec, nil
}

// explain adds what to do to a delivery error.
func explain(err error, t config.Target) error {
	switch {
	case errors.Is(err, upload.ErrAuth) && t.CredentialName() != "" && !strings.Contains(err.Error(), "demat credentials set"):
		return fmt.Errorf("%w: store the right password with demat credentials set %s", err, t.CredentialName())
	case errors.Is(err, credentials.ErrUnavailable):
		return err
	}
	return err
}
