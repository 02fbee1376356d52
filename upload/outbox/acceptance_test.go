package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
	"github.com/demat-app/demat/upload/sftp"
	"github.com/demat-app/demat/upload/tus"
	"github.com/demat-app/demat/upload/uploadtest"
	"github.com/demat-app/demat/upload/webdav"
)

// flakyServer is a real server behind a proxy that cuts every
// connection after about 3 MB.
type flakyServer struct {
	target  upload.Target
	list    func(t *testing.T) map[string][]byte
	noNames bool
	proxy   *testenv.Proxy
}

// TestFlakyLink sends 20 documents of about 5 MB to each kind of server
// through a link that breaks every connection after about 3 MB: every
// document arrives byte for byte, exactly once, with no temporary file
// left and a receipt recorded.
func TestFlakyLink(t *testing.T) {
	servers := map[string]func(t *testing.T) flakyServer{
		"webdav": func(t *testing.T) flakyServer {
			srv := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
			p := cutting(t, srv.Addr)
			wt, err := webdav.New(webdav.Options{
				URL: strings.Replace(srv.URL, srv.Addr, p.Addr, 1), User: srv.User,
				Credential: secret(srv.Password),
			})
			if err != nil {
				t.Fatal(err)
			}
			return flakyServer{target: wt, list: func(t *testing.T) map[string][]byte { return srv.Files(t) }, proxy: p}
		},
	}
	servers["tus"] = func(t *testing.T) flakyServer {
		srv := testenv.StartTusd(t, testenv.TusdOptions{User: "desk12", Password: "tus-pass-1"})
		p := cutting(t, srv.Addr)
		tt, err := tus.New(tus.Options{
			URL: strings.Replace(srv.URL, srv.Addr, p.Addr, 1), User: "desk12", Credential: secret("tus-pass-1"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return flakyServer{target: tt, list: func(t *testing.T) map[string][]byte { return srv.Finished(t) }, noNames: true, proxy: p}
	}
	servers["sftp"] = func(t *testing.T) flakyServer {
		srv := testenv.StartSSHD(t, testenv.SSHDOptions{})
		p := cutting(t, srv.Addr)
		st, err := sftp.New(sftp.Options{
			Addr: p.Addr, User: srv.User, KeyFile: srv.KeyFile, HostKey: srv.Fingerprint, Base: srv.Root,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return flakyServer{target: st, list: func(t *testing.T) map[string][]byte { return testenv.Files(t, srv.Root) }, proxy: p}
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			flaky(t, start(t))
		})
	}
}

func cutting(t *testing.T, addr string) *testenv.Proxy {
	p := testenv.StartProxy(t, addr)
	p.Set(testenv.Faults{CutAfter: 3 << 20, Jitter: 400 << 10})
	return p
}

func secret(s string) func() (credentials.Secret, error) {
	return func() (credentials.Secret, error) { return credentials.NewSecret(s), nil }
}

func flaky(t *testing.T, s flakyServer) {
	ob, err := outbox.Open(t.Context(), t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	src := t.TempDir()
	want := map[string][]byte{}
	for i := range 20 {
		name := fmt.Sprintf("lot-7/courrier-%02d.pdf", i)
		doc, data := uploadtest.NewDoc("x", name, 5_000_000+i*7919, uint64(1000+i))
		_ = doc
		p := filepath.Join(src, filepath.Base(name))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ob.Add(t.Context(), "server", p, name, map[string]string{"reference": fmt.Sprintf("AJR/2026/%d", i)}); err != nil {
			t.Fatal(err)
		}
		want[name] = data
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	err = ob.Run(ctx, outbox.RunOptions{
		Targets: outbox.TargetsFunc(func(string) (upload.Target, outbox.Limits, error) { return s.target, outbox.Limits{Parallel: 4}, nil }),
		Backoff: outbox.Backoff{Base: 10 * time.Millisecond, Max: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := ob.List(t.Context())
	attempts := 0
	for _, d := range ds {
		attempts += d.Attempts
		if d.State != outbox.Delivered {
			t.Errorf("#%d %s: %s (%s)", d.ID, d.Name, d.State, d.Error)
			continue
		}
		r := d.Receipt
		if r == nil || r.SHA256 != d.SHA256 || r.Size != d.Size || r.Location == "" || r.Time.IsZero() || r.Verified == "" {
			t.Errorf("#%d: incomplete receipt %+v", d.ID, r)
		}
	}
	uploadtest.CheckStored(t, uploadtest.Harness{NoNames: s.noNames}, uploadtest.Destination{List: s.list}, want)
	if s.proxy.Cuts() == 0 {
		t.Error("the proxy cut no connection: the test proves nothing")
	}
	t.Logf("%s: 20 documents, %d attempts, %d connections cut, %.1f MB through the proxy for %.1f MB delivered",
		t.Name(), attempts, s.proxy.Cuts(), float64(s.proxy.Forwarded())/1e6, float64(sum(want))/1e6)
}

func sum(m map[string][]byte) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
