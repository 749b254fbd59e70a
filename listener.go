package main

import (
	"net"
	"net/http"
	"sync"
	"syscall"
)

// Every connection costs the process a file descriptor and some memory,
// and a client that opens thousands and sends nothing pays nothing for
// them. limitListener bounds the open connections in all and per client
// address, below the process's descriptor limit, so that the process never
// runs out of descriptors (the store, webhook deliveries and /healthz need
// some too). Past either bound a new connection is closed as soon as it is
// accepted, unless, at the total bound, an idle keep-alive connection can
// be closed to make room: a connection that works is worth more than one
// that waits.
type limitListener struct {
	net.Listener
	max, perClient int
	// refused, when set, counts connections closed at accept.
	refused func()

	mu       sync.Mutex
	open     int
	byClient map[string]int
	idle     map[*limitedConn]struct{}
}

func newLimitListener(ln net.Listener, max, perClient int, refused func()) *limitListener {
	return &limitListener{Listener: ln, max: max, perClient: perClient, refused: refused,
		byClient: map[string]int{}, idle: map[*limitedConn]struct{}{}}
}

// Accept returns the next connection within the bounds.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := hostOf(c.RemoteAddr())
		if lc := l.admit(c, client); lc != nil {
			return lc, nil
		}
		c.Close()
		if l.refused != nil {
			l.refused()
		}
	}
}

// admit takes a place for a connection from client, closing an idle one
// at the total bound; nil means no place.
func (l *limitListener) admit(c net.Conn, client string) *limitedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient > 0 && l.byClient[client] >= l.perClient {
		return nil
	}
	if l.max > 0 && l.open >= l.max {
		var victim *limitedConn
		for v := range l.idle {
			victim = v
			break
		}
		if victim == nil {
			return nil
		}
		delete(l.idle, victim)
		// Closing counts it out (limitedConn.Close), once the lock is free.
		go victim.Close()
		l.open-- // its place is this connection's from now
		victim.released = true
	}
	l.open++
	l.byClient[client]++
	return &limitedConn{Conn: c, l: l, client: client}
}

// connState is the server's ConnState hook: it tells idle keep-alive
// connections, which may be closed to make room, from working ones.
func (l *limitListener) connState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle && !lc.released {
		l.idle[lc] = struct{}{}
	} else {
		delete(l.idle, lc)
	}
}

// limitedConn gives its place back when it closes.
type limitedConn struct {
	net.Conn
	l      *limitListener
	client string
	once   sync.Once
	// released is set (under l.mu) when the connection's place was given
	// to another before it closed.
	released bool
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		l := c.l
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.idle, c)
		if !c.released {
			l.open--
		}
		if l.byClient[c.client]--; l.byClient[c.client] <= 0 {
			delete(l.byClient, c.client)
		}
	})
	return err
}

// hostOf returns the IP address of a network address.
func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// defaultMaxConnections is the bound on open connections when none is
// given: 10,000, or less when the process may open fewer descriptors,
// leaving room for the store, webhook deliveries and the operator.
func defaultMaxConnections() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 10_000
	}
	return int(max(min(10_000, int64(rl.Cur)-512), 64))
}
