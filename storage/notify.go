package storage

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several processes (replicas of the server) on one PostgreSQL database
// learn of one another's writes through LISTEN/NOTIFY: a write transaction
// that records events, or revokes credentials, sends a notification that
// PostgreSQL delivers when (and only if) it commits; every store listens
// on a connection of its own and wakes its event consumers (EventSignal)
// or forgets the cached tokens. Notifications are a shortcut, not the
// record: the outbox and the tables are. A listener that loses its
// connection wakes the consumers and empties the token cache (it may have
// missed something), then connects again; the consumers still poll the
// outbox by id now and then (graph's feed, the webhook dispatcher), and a
// cached token lives at most tokenCacheTTL.

// Notification channels.
const (
	// notifyEvents: events were recorded, or a delivery made due.
	notifyEvents = "customers_events"
	// notifyCredentials: an API token (payload: its id) or an app's tokens
	// (payload: "*") were revoked.
	notifyCredentials = "customers_credentials"
)

// listenerName is the application_name of the listening connection, by
// which an operator (or a test) finds it in pg_stat_activity.
const listenerName = "customers-listen"

// notify sends a notification on channel when tx commits (PostgreSQL;
// SQLite's one process per file needs none).
func (tx *Tx) notify(ctx context.Context, channel, payload string) error {
	if !tx.db.pg || tx.read {
		return nil
	}
	if _, err := tx.exec(ctx, `SELECT pg_notify(?, ?)`, channel, payload); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// listener keeps a store's LISTEN connection.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
	// mu guards connected, which counts the connections made so far (tests
	// wait for it).
	mu        sync.Mutex
	connected int
	up        chan struct{} // closed on each connection, then replaced
}

// listenerStartWait bounds how long Open waits for the first LISTEN: a
// store that returns listening has its caches emptied by that connection
// already (nothing a request caches afterwards is dropped by it), and hears
// other replicas from its first request. A listener slower than this goes on
// connecting in the background; the outbox poll covers the gap.
const listenerStartWait = 5 * time.Second

// awaitListener waits until the listener has connected once, for at most d.
func (db *DB) awaitListener(ctx context.Context, d time.Duration) {
	n, up := db.listening()
	if n > 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-up:
	case <-t.C:
	case <-ctx.Done():
	}
}

// startListener listens on the store's channels at url until Close.
func (db *DB) startListener(url string) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cancel: cancel, done: make(chan struct{}), up: make(chan struct{})}
	db.listener = l
	go func() {
		defer close(l.done)
		wait := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := db.listen(ctx, url)
			if ctx.Err() != nil {
				return
			}
			// Whatever was sent while no one listened is lost: wake the
			// consumers to read the outbox, and trust no cached token.
			db.signalEvents()
			db.tokens.clear()
			db.apps.clear()
			if err == errListenedLong {
				wait = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Second)
		}
	}()
}

// errListenedLong reports a connection that was up a while before it was
// lost: the next one is tried at once.
var errListenedLong = fmt.Errorf("listen: connection lost")

// listen connects, listens and handles notifications until the connection
// fails or ctx ends.
func (db *DB) listen(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = listenerName
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{notifyEvents, notifyCredentials} {
		if _, err := conn.Exec(ctx, `LISTEN `+ch); err != nil {
			return err
		}
	}
	// Listening now: what committed before may not have been heard.
	db.signalEvents()
	db.tokens.clear()
	db.apps.clear()
	l := db.listener
	l.mu.Lock()
	l.connected++
	close(l.up)
	l.up = make(chan struct{})
	l.mu.Unlock()
	since := time.Now()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if time.Since(since) > 5*time.Second {
				return errListenedLong
			}
			return err
		}
		switch n.Channel {
		case notifyEvents:
			db.signalEvents()
		case notifyCredentials:
			if id, err := strconv.Atoi(n.Payload); err == nil {
				db.forgetToken(id)
			} else {
				// An app's revocation: its tokens and the app itself.
				db.tokens.clear()
				db.apps.clear()
			}
		}
	}
}

// listening returns how many times the listener has connected, and a
// channel closed at its next connection.
func (db *DB) listening() (int, <-chan struct{}) {
	l := db.listener
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.connected, l.up
}

// stopListener ends the listener and waits for it.
func (db *DB) stopListener() {
	if db.listener != nil {
		db.listener.cancel()
		<-db.listener.done
	}
}
