package testenv

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy on loopback that injects network faults between
// a client and a real server: it cuts connections after a number of
// bytes, stalls them, or refuses them. Faults can be changed while it
// runs; they apply to connections accepted afterwards.
type Proxy struct {
	// Addr is the proxy's host:port.
	Addr string

	target string
	ln     net.Listener
	mu     sync.Mutex
	faults Faults
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup

	accepted, cut, forwarded atomic.Int64
}

// Faults are what the proxy does to each new connection.
type Faults struct {
	// CutAfter closes the connection (both ways, with a TCP reset) once
	// this many bytes have gone from client to server; 0 never.
	CutAfter int64
	// Jitter varies CutAfter by up to ± this many bytes per connection,
	// so that cuts do not always fall on the same boundary.
	Jitter int64
	// StallAfter stops forwarding (without closing) once this many bytes
	// have gone from client to server; 0 never.
	StallAfter int64
	// Refuse closes every new connection at once.
	Refuse bool
	// Rate, when positive, limits client → server to about this many
	// bytes a second per connection (a slow line).
	Rate int64
}

// StartProxy starts a proxy to target (host:port) and stops it when the
// test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Set replaces the faults for new connections.
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Accepted is how many connections the proxy has accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Forwarded is how many bytes have gone from clients to the server.
func (p *Proxy) Forwarded() int64 { return p.forwarded.Load() }

// Cuts is how many connections the proxy has cut.
func (p *Proxy) Cuts() int64 { return p.cut.Load() }

// CutAll closes every open connection now.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		reset(c)
	}
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	n := int64(0)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		n++
		p.accepted.Add(1)
		p.mu.Lock()
		f := p.faults
		p.mu.Unlock()
		if f.Refuse {
			reset(c)
			continue
		}
		if f.CutAfter > 0 && f.Jitter > 0 {
			// Deterministic spread: the same run cuts at the same places.
			f.CutAfter += (n*7919)%(2*f.Jitter+1) - f.Jitter
			f.CutAfter = max(f.CutAfter, 1)
		}
		p.wg.Add(1)
		go p.pipe(c, f)
	}
}

func (p *Proxy) pipe(client net.Conn, f Faults) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	p.track(client, server, true)
	defer p.track(client, server, false)
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(client, server)
		done <- struct{}{}
	}()
	inOrder := p.upstream(client, server, f)
	if inOrder {
		// The client finished sending: let the answer come back.
		<-done
	}
	reset(client)
	reset(server)
	if !inOrder {
		<-done
	}
}

// upstream copies client → server, applying the faults; true when the
// client closed its side in order.
func (p *Proxy) upstream(client, server net.Conn, f Faults) bool {
	buf := make([]byte, 32<<10)
	if f.Rate > 0 {
		// Small reads, paced: a slow line rather than bursts.
		buf = buf[:max(min(int64(len(buf)), f.Rate/20), 1)]
	}
	start := time.Now()
	var sent int64
	for {
		if f.Rate > 0 {
			due := start.Add(time.Duration(float64(sent) / float64(f.Rate) * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		n, err := client.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if f.StallAfter > 0 && sent+int64(n) >= f.StallAfter {
				server.Write(chunk[:f.StallAfter-sent])
				// Hold the connection open, forwarding nothing, until
				// one side gives up.
				io.Copy(io.Discard, client)
				return false
			}
			if f.CutAfter > 0 && sent+int64(n) >= f.CutAfter {
				server.Write(chunk[:f.CutAfter-sent])
				p.cut.Add(1)
				return false
			}
			if _, werr := server.Write(chunk); werr != nil {
				return false
			}
			sent += int64(n)
			p.forwarded.Add(int64(n))
		}
		if err != nil {
			if tc, ok := server.(*net.TCPConn); ok && err == io.EOF {
				tc.CloseWrite()
				return true
			}
			return false
		}
	}
}

func (p *Proxy) track(a, b net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	} else {
		delete(p.conns, a)
		delete(p.conns, b)
	}
}

// reset closes a connection with a TCP reset, as a dropped link or a
// crashed middlebox does, rather than an orderly FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
