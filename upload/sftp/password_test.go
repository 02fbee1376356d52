package sftp

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	sftplib "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

// passwordServer is an in-process SSH server (golang.org/x/crypto/ssh)
// serving SFTP with pkg/sftp's server, for password and
// keyboard-interactive logins only. It is a stand-in: the real sshd
// would check passwords against the system's accounts, and giving the
// account the tests run as a password would change the machine. Every
// other test runs against OpenSSH's sshd.
type passwordServer struct {
	addr, fingerprint, root string
	// logins counts successful authentications.
	logins atomic.Int32
}

func startPasswordServer(t *testing.T, password string, interactiveOnly bool) *passwordServer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s := &passwordServer{fingerprint: ssh.FingerprintSHA256(signer.PublicKey()), root: t.TempDir()}
	cfg := &ssh.ServerConfig{}
	if interactiveOnly {
		cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask(c.User(), "", []string{"Password: "}, []bool{false})
			if err != nil || len(answers) != 1 || answers[0] != password {
				return nil, errors.New("wrong password")
			}
			s.logins.Add(1)
			return nil, nil
		}
	} else {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) != password {
				return nil, errors.New("wrong password")
			}
			s.logins.Add(1)
			return nil, nil
		}
	}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				s.serve(c, cfg)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func (s *passwordServer) serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				// The payload is the subsystem's name as an SSH string.
				ok := req.Type == "subsystem" && len(req.Payload) > 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if ok {
					srv, err := sftplib.NewServer(ch, sftplib.WithServerWorkingDirectory(s.root))
					if err == nil {
						srv.Serve()
					}
					return
				}
			}
		}()
	}
}

func TestPassword(t *testing.T) {
	const password = "s3cret-Pa55"
	for _, interactive := range []bool{false, true} {
		t.Run(fmt.Sprint("keyboard-interactive=", interactive), func(t *testing.T) {
			srv := startPasswordServer(t, password, interactive)
			var stored atomic.Value
			stored.Store("wrong-Pa55")
			cred := func() (credentials.Secret, error) { return credentials.NewSecret(stored.Load().(string)), nil }
			tg, err := New(Options{Addr: srv.addr, User: "agent", Credential: cred, HostKey: srv.fingerprint})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			_, _, err = put(t, tg, "pw1", "pw.pdf", 1000)
			if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
				t.Fatalf("Put with a wrong password: %v, want ErrAuth, not temporary", err)
			}
			if strings.Contains(err.Error(), "wrong-Pa55") {
				t.Errorf("the error shows the password: %v", err)
			}
			// Fixed in the keyring: the next Put uses it, no restart.
			stored.Store(password)
			r, data, err := put(t, tg, "pw1", "pw.pdf", 1000)
			if err != nil {
				t.Fatalf("Put with the right password: %v", err)
			}
			if got, _ := os.ReadFile(filepath.Join(srv.root, "pw.pdf")); string(got) != string(data) {
				t.Error("the document did not arrive")
			}
			if strings.Contains(fmt.Sprintf("%+v", r), password) {
				t.Errorf("the receipt shows the password: %+v", r)
			}
			if srv.logins.Load() != 1 {
				t.Errorf("%d logins, want 1", srv.logins.Load())
			}
		})
	}
	t.Run("not stored", func(t *testing.T) {
		srv := startPasswordServer(t, password, false)
		missing := func() (credentials.Secret, error) {
			return credentials.Secret{}, fmt.Errorf("get sftp/agent: %w", credentials.ErrNotFound)
		}
		tg, err := New(Options{Addr: srv.addr, User: "agent", Credential: missing, HostKey: srv.fingerprint})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = put(t, tg, "pw2", "pw.pdf", 1000)
		if !errors.Is(err, upload.ErrAuth) || !errors.Is(err, credentials.ErrNotFound) || upload.IsTemporary(err) {
			t.Fatalf("Put with no password stored: %v, want ErrAuth", err)
		}
	})
}
