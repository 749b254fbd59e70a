package graph

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The outbox, read two ways: webhooks (the webhook package sends them) and
// subscriptions (customerEvents), served here from one tail of the events
// table shared by every subscriber of the process.

// toEvent converts an outbox event to its GraphQL form.
func toEvent(e *storage.Event) *model.CustomerEvent {
	var d storage.EventData
	json.Unmarshal(e.Data, &d) // written by the store: always decodes
	out := &model.CustomerEvent{ID: int(e.ID), Scope: e.Scope, Hash: e.Hash, CreatedAt: e.CreatedAt,
		Data: &model.CustomerEventData{Type: d.Type, ID: d.ID}}
	if d.Address != nil {
		out.Data.Address = &model.CustomerEventAddress{CustomerID: d.Address.CustomerID}
	}
	return out
}

// customerOf returns the customer an event is about, or 0 for a
// subscriber's event.
func customerOf(e *model.CustomerEvent) int {
	switch {
	case e.Data.Address != nil:
		return e.Data.Address.CustomerID
	case e.Data.Type == "customer":
		return e.Data.ID
	}
	return 0
}

// feed tails the outbox and hands each new event to the subscribers. It
// runs while it has any; while it runs, it also checks the subscribers'
// credentials again every limits.Recheck.
type feed struct {
	db     eventStore
	limits StreamLimits

	mu   sync.Mutex
	subs map[*subscriber]struct{}
	stop context.CancelFunc
	// last is the newest event handed out.
	last int64
	// poke asks the tail to check credentials now (a logout here).
	poke chan struct{}
}

// subscriber is one subscription's place in the feed. The feed closes ch
// when the subscription ends: its context ended, it fell behind (lagged),
// or its credentials went (revoked).
type subscriber struct {
	ch     chan *model.CustomerEvent
	caller *Caller
	closed bool
	why    endReason
}

type endReason int

const (
	endDone endReason = iota
	endLagged
	endRevoked
)

// subscribe returns the subscriber of caller, fed the events after the
// one it also returns (the newest handed out so far), until ctx ends.
func (f *feed) subscribe(ctx context.Context, caller *Caller) (*subscriber, int64, error) {
	sub := &subscriber{ch: make(chan *model.CustomerEvent, f.limits.Backlog), caller: caller}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[*subscriber]struct{}{}
		f.poke = make(chan struct{}, 1)
	}
	if len(f.subs) == 0 {
		last, err := f.db.LastEventID(ctx)
		if err != nil {
			return nil, 0, err
		}
		f.last = last
		tailCtx, stop := context.WithCancel(context.Background())
		f.stop = stop
		go f.tail(tailCtx)
	}
	f.subs[sub] = struct{}{}
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.end(sub, endDone)
	})
	return sub, f.last, nil
}

// end closes sub's channel for why and drops it; the tail stops with the
// last subscriber. f.mu is held.
func (f *feed) end(sub *subscriber, why endReason) {
	if sub.closed {
		return
	}
	sub.closed, sub.why = true, why
	close(sub.ch)
	delete(f.subs, sub)
	if len(f.subs) == 0 && f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

// reason returns why sub's channel closed.
func (f *feed) reason(sub *subscriber) endReason {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sub.why
}

// checkNow asks the tail to check the subscribers' credentials at once.
func (f *feed) checkNow() {
	f.mu.Lock()
	poke := f.poke
	f.mu.Unlock()
	if poke != nil {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
}

// tail reads new events as they commit and broadcasts them; a subscriber
// whose backlog is full is ended rather than let to miss events silently
// or to stall the others.
func (f *feed) tail(ctx context.Context) {
	checked := time.Now()
	for ctx.Err() == nil {
		signal := f.db.EventSignal()
		f.mu.Lock()
		last, poke := f.last, f.poke
		f.mu.Unlock()
		events, err := f.db.FindEventsAfter(ctx, last, 500)
		if err == nil && len(events) > 0 {
			f.mu.Lock()
			for _, e := range events {
				ev := toEvent(e)
				for sub := range f.subs {
					select {
					case sub.ch <- ev:
					default:
						f.end(sub, endLagged)
					}
				}
			}
			f.last = events[len(events)-1].ID
			f.mu.Unlock()
			if len(events) == 500 {
				continue
			}
		}
		if time.Since(checked) >= f.limits.Recheck {
			f.recheck(ctx)
			checked = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-signal:
		case <-poke:
			f.recheck(ctx)
			checked = time.Now()
		case <-time.After(min(2*time.Second, f.limits.Recheck)): // writes by other processes; rechecks
		}
	}
}

// recheck ends the subscriptions whose API token was revoked or whose
// shopper session ended (logout, a password change, an impersonating
// token revoked), with one statement for the tokens and one for the
// sessions of all subscribers.
func (f *feed) recheck(ctx context.Context) {
	f.mu.Lock()
	var tokens []int
	var sessions []string
	for sub := range f.subs {
		switch c := sub.caller; {
		case c.Token != nil:
			tokens = append(tokens, c.Token.ID)
		case c.Shopper != nil:
			sessions = append(sessions, c.Shopper.SessionID)
		}
	}
	f.mu.Unlock()
	liveTokens, liveSessions, err := liveCredentials(ctx, f.db, tokens, sessions)
	if err != nil {
		return // the store is busy or closing: check again next time
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		if !live(sub.caller, liveTokens, liveSessions) {
			f.end(sub, endRevoked)
		}
	}
}

// liveCredentials looks up which of the tokens and sessions are live.
// eventStore is what the event streams read: the outbox, its signal, and
// whether the credentials that opened a stream still hold.
type eventStore interface {
	EventSignal() <-chan struct{}
	FindEventsAfter(ctx context.Context, afterID int64, limit int) ([]*storage.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	LiveSessions(ctx context.Context, ids []string) (map[string]bool, error)
	LiveTokens(ctx context.Context, ids []int) (map[int]bool, error)
}

func liveCredentials(ctx context.Context, db eventStore, tokens []int, sessions []string) (map[int]bool, map[string]bool, error) {
	var liveTokens map[int]bool
	var liveSessions map[string]bool
	var err error
	if len(tokens) > 0 {
		if liveTokens, err = db.LiveTokens(ctx, tokens); err != nil {
			return nil, nil, err
		}
	}
	if len(sessions) > 0 {
		if liveSessions, err = db.LiveSessions(ctx, sessions); err != nil {
			return nil, nil, err
		}
	}
	return liveTokens, liveSessions, nil
}

// live reports whether c's credentials are among the live ones.
func live(c *Caller, tokens map[int]bool, sessions map[string]bool) bool {
	switch {
	case c.Token != nil:
		return tokens[c.Token.ID]
	case c.Shopper != nil:
		return sessions[c.Shopper.SessionID]
	}
	return false
}

// customerEvents streams the events the caller may see whose scope matches
// one of scopes (all when nil): a shopper only its own account's. With
// afterID, the stored events after it come first. The stream ends with
// UNAUTHENTICATED when the caller's credentials go, and with
// SLOW_SUBSCRIBER (and the id to resume after) when it falls behind.
func (r *Resolver) customerEvents(ctx context.Context, scopes []string, afterID *int) (<-chan *model.CustomerEvent, error) {
	for i, s := range scopes {
		ok := false
		for _, known := range storage.EventScopes {
			ok = ok || storage.ScopeMatches(s, known)
		}
		if !ok {
			return nil, storage.FieldErrorf(storage.EINVALID, "scopes."+itoa(i), "%q names no event.", s)
		}
	}
	caller := callerOf(ctx)
	// A websocket identified itself once, at connection_init: its
	// credentials may have gone since.
	tokens, sessions, err := liveCredentials(ctx, r.DB, tokenIDs(caller), sessionIDs(caller))
	if err != nil {
		return nil, err
	}
	if !live(caller, tokens, sessions) {
		return nil, accessError(CodeUnauthenticated, "The credentials of this connection were revoked or the session ended; sign in again.")
	}
	key := caller.key()
	if !r.subscriptions.acquire(key, r.streams.PerCaller, 0) {
		return nil, accessError(CodeTooManyStreams, "Too many subscriptions: at most "+itoa(r.streams.PerCaller)+" per caller.")
	}
	sub, live, err := r.events.subscribe(ctx, caller)
	if err != nil {
		r.subscriptions.release(key)
		return nil, err
	}
	me := 0
	if s := caller.Shopper; s != nil {
		me = s.CustomerID
	}
	out := make(chan *model.CustomerEvent, 1)
	// seen is the newest event this subscription has gone past: where a
	// client resumes (afterId) when the stream ends early.
	seen := live
	if afterID != nil {
		seen = int64(*afterID)
	}
	send := func(e *model.CustomerEvent) bool {
		if (me == 0 || customerOf(e) == me) && matchesAny(scopes, e.Scope) {
			select {
			case out <- e:
			case <-ctx.Done():
				return false
			}
		}
		seen = int64(e.ID)
		return true
	}
	go func() {
		defer close(out)
		defer r.subscriptions.release(key)
		// The stored events up to where the live feed took over.
		for after := int64(-1); afterID != nil && after < live; {
			if after < 0 {
				after = int64(*afterID)
			}
			events, err := r.DB.FindEventsAfter(ctx, after, 500)
			if err != nil || len(events) == 0 {
				break
			}
			for _, e := range events {
				if e.ID > live || !send(toEvent(e)) {
					after = live
					break
				}
				after = e.ID
			}
		}
		seen = max(seen, live)
		for e := range sub.ch {
			if int64(e.ID) <= seen {
				continue
			}
			if !send(e) {
				return
			}
		}
		switch r.events.reason(sub) {
		case endLagged:
			endStream(ctx, &gqlerror.Error{
				Message:    "The subscription fell too far behind and was ended; subscribe again with afterId to resume.",
				Extensions: map[string]any{"code": CodeSlowSubscriber, "lastEventId": seen},
			})
		case endRevoked:
			endStream(ctx, codedError(CodeUnauthenticated, "The credentials of this stream were revoked or the session ended."))
		}
	}()
	return out, nil
}

func tokenIDs(c *Caller) []int {
	if c.Token != nil {
		return []int{c.Token.ID}
	}
	return nil
}

func sessionIDs(c *Caller) []string {
	if c.Shopper != nil {
		return []string{c.Shopper.SessionID}
	}
	return nil
}

func matchesAny(patterns []string, scope string) bool {
	if patterns == nil {
		return true
	}
	for _, p := range patterns {
		if storage.ScopeMatches(p, scope) {
			return true
		}
	}
	return false
}

// headers converts webhook header inputs; nil stays nil (unchanged).
func headers(in []*model.WebhookHeaderInput) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for _, h := range in {
		out[h.Name] = h.Value
	}
	return out
}

// headerList lists a webhook's headers by name.
func headerList(h map[string]string) []*model.WebhookHeader {
	out := make([]*model.WebhookHeader, 0, len(h))
	for k, v := range h {
		out = append(out, &model.WebhookHeader{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func webhookConnection(pg *storage.Page[*storage.Webhook]) *model.WebhookConnection {
	c := connectionOf(pg, func(cursor string, n *storage.Webhook) *model.WebhookEdge {
		return &model.WebhookEdge{Cursor: cursor, Node: n}
	})
	return &model.WebhookConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}

func deliveryConnection(pg *storage.Page[*storage.WebhookDelivery]) *model.WebhookDeliveryConnection {
	c := connectionOf(pg, func(cursor string, n *storage.WebhookDelivery) *model.WebhookDeliveryEdge {
		return &model.WebhookDeliveryEdge{Cursor: cursor, Node: n}
	})
	return &model.WebhookDeliveryConnection{Nodes: c.nodes, Edges: c.edges, PageInfo: c.pageInfo, Pagination: c.pagination}
}
