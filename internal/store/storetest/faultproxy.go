package storetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy a test puts between Hearth and PostgreSQL to make
// the faults a network and a database server make: a stall (bytes stop
// flowing, connections stay open), a cut (every connection closes and new
// ones are closed as soon as they are made) and a connection that drops
// at COMMIT (the COMMIT reaches the server, which commits; its answer
// never comes back). It reads just enough of PostgreSQL's wire protocol
// to see a COMMIT go by.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu        sync.Mutex
	wake      *sync.Cond
	links     map[*link]bool
	stalled   bool
	cut       bool
	dropNext  int    // COMMITs still to drop
	dropAfter string // only the COMMIT of a transaction that sent a statement containing this
	cutAfter  bool   // after dropping one, cut everything
	lose      bool   // drop the COMMIT itself, before the server sees it
	dropped   int    // COMMITs dropped so far
}

type link struct {
	client, server net.Conn
	marked         bool // this transaction sent a statement containing dropAfter
	dropReply      bool // the next answer from the server is dropped, and the link closed
}

// NewProxy starts a proxy to upstream (host:port), closed when t ends.
func NewProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, upstream: upstream, links: map[*link]bool{}}
	p.wake = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.stalled = false
		p.closeAll()
		p.mu.Unlock()
	})
	return p
}

// Through returns dsn (a postgres:// URL) pointed at the proxy, and the
// proxy, for a test that wants to break the connection to PostgreSQL.
func Through(t testing.TB, dsn string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN: %v", err)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := NewProxy(t, upstream)
	u.Host = p.ln.Addr().String()
	return u.String(), p
}

// Stall stops every byte in both directions, on open connections and new
// ones, as a hung server or a black-holed network does.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// Cut closes every connection and closes new ones at once, as a server that
// went away does.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.closeAll()
}

// Restore undoes Stall and Cut: bytes flow and new connections work.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled, p.cut = false, false
	p.wake.Broadcast()
}

// DropAtCommit makes the next COMMIT reach the server but its answer never
// come back: the connection closes instead. With after set, only the
// COMMIT of a transaction that sent a statement containing it counts (such
// as "INSERT INTO daily_notes"). With thenCut, every connection is cut at
// that moment too (the database is unreachable until Restore), so the
// client cannot look to see what happened.
func (p *Proxy) DropAtCommit(after string, thenCut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropNext++
	p.dropAfter, p.cutAfter, p.lose = after, thenCut, false
}

// LoseCommit makes the next COMMIT (of a transaction that sent a statement
// containing after, when set) never reach the server: the connection
// closes as it is sent, and the server rolls the transaction back.
func (p *Proxy) LoseCommit(after string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropNext++
	p.dropAfter, p.cutAfter, p.lose = after, false, true
}

// Dropped reports how many COMMITs have been dropped.
func (p *Proxy) Dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

func (p *Proxy) closeAll() {
	for l := range p.links {
		l.client.Close()
		l.server.Close()
	}
	p.links = map[*link]bool{}
	p.wake.Broadcast()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refused := p.cut
		p.mu.Unlock()
		if refused {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		l := &link{client: c, server: s}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.links[l] = true
		p.mu.Unlock()
		go p.clientToServer(l)
		go p.serverToClient(l)
	}
}

// pass waits while the proxy is stalled, then reports whether the link is
// still open.
func (p *Proxy) pass(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled && p.links[l] {
		p.wake.Wait()
	}
	return p.links[l]
}

func (p *Proxy) drop(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.links, l)
	l.client.Close()
	l.server.Close()
	p.wake.Broadcast()
}

// serverToClient copies the server's answers, unless the link is to drop
// the next one.
func (p *Proxy) serverToClient(l *link) {
	defer p.drop(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.server.Read(buf)
		if n > 0 {
			if !p.pass(l) {
				return
			}
			p.mu.Lock()
			drop := l.dropReply
			if drop {
				p.dropped++
				if p.cutAfter {
					p.cut = true
					p.closeAll()
				}
			}
			p.mu.Unlock()
			if drop {
				return
			}
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// clientToServer copies the client's messages one at a time, watching for
// a simple-protocol COMMIT (what pgx sends to commit a transaction).
func (p *Proxy) clientToServer(l *link) {
	defer p.drop(l)
	r := l.client
	// The startup phase: untyped messages (length, then body) until the
	// real startup message; SSL and GSS requests come first when asked.
	for {
		msg, err := readUntyped(r)
		if err != nil {
			return
		}
		if !p.pass(l) {
			return
		}
		if _, err := l.server.Write(msg); err != nil {
			return
		}
		if len(msg) >= 8 {
			code := binary.BigEndian.Uint32(msg[4:8])
			if code == 80877103 || code == 80877104 { // SSLRequest, GSSENCRequest
				continue
			}
		}
		break
	}
	for {
		msg, err := readTyped(r)
		if err != nil {
			return
		}
		if !p.pass(l) {
			return
		}
		if msg[0] == 'Q' || msg[0] == 'P' {
			p.mu.Lock()
			if p.dropAfter != "" && bytes.Contains(msg, []byte(p.dropAfter)) {
				l.marked = true
			}
			lost := false
			if msg[0] == 'Q' && isCommit(msg[5:]) {
				if p.dropNext > 0 && (p.dropAfter == "" || l.marked) {
					p.dropNext--
					l.dropReply = true
					if p.lose {
						p.dropped++
						lost = true
					}
				}
				l.marked = false
			}
			p.mu.Unlock()
			if lost {
				return
			}
		}
		if _, err := l.server.Write(msg); err != nil {
			return
		}
	}
}

func isCommit(query []byte) bool {
	q := bytes.TrimRight(query, "\x00")
	q = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(q), []byte(";")))
	return bytes.EqualFold(q, []byte("commit")) || bytes.EqualFold(q, []byte("end"))
}

func readUntyped(r io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 4 || n > 1<<20 {
		return nil, errors.New("proxy: bad startup message length")
	}
	msg := make([]byte, n)
	copy(msg, head[:])
	_, err := io.ReadFull(r, msg[4:])
	return msg, err
}

func readTyped(r io.Reader) ([]byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > 1<<30 {
		return nil, errors.New("proxy: bad message length")
	}
	msg := make([]byte, 1+n)
	copy(msg, head[:])
	_, err := io.ReadFull(r, msg[5:])
	return msg, err
}
