package graph

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
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
// runs while it has any.
type feed struct {
	db *storage.DB

	mu   sync.Mutex
	subs map[chan *model.CustomerEvent]struct{}
	stop context.CancelFunc
	// last is the newest event handed out.
	last int64
}

// subscribe returns a channel of the events after the one it also returns
// (the newest handed out so far), until ctx ends.
func (f *feed) subscribe(ctx context.Context) (<-chan *model.CustomerEvent, int64, error) {
	ch := make(chan *model.CustomerEvent, 256)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[chan *model.CustomerEvent]struct{}{}
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
	f.subs[ch] = struct{}{}
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, ch)
		close(ch)
		if len(f.subs) == 0 && f.stop != nil {
			f.stop()
			f.stop = nil
		}
	}()
	return ch, f.last, nil
}

// tail reads new events as they commit and broadcasts them.
func (f *feed) tail(ctx context.Context) {
	for ctx.Err() == nil {
		signal := f.db.EventSignal()
		f.mu.Lock()
		last := f.last
		f.mu.Unlock()
		events, err := f.db.FindEventsAfter(ctx, last, 500)
		if err == nil && len(events) > 0 {
			f.mu.Lock()
			for _, e := range events {
				ev := toEvent(e)
				for ch := range f.subs {
					select {
					case ch <- ev:
					default: // a subscriber this far behind misses events rather than stall the others
					}
				}
			}
			f.last = events[len(events)-1].ID
			f.mu.Unlock()
			if len(events) == 500 {
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-signal:
		case <-time.After(2 * time.Second): // writes by other processes
		}
	}
}

// customerEvents streams the events the caller may see whose scope matches
// one of scopes (all when nil): a shopper only its own account's. With
// afterID, the stored events after it come first.
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
	src, live, err := r.events.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	me := 0
	if s := callerOf(ctx).Shopper; s != nil {
		me = s.CustomerID
	}
	out := make(chan *model.CustomerEvent, 1)
	send := func(e *model.CustomerEvent) bool {
		if (me != 0 && customerOf(e) != me) || !matchesAny(scopes, e.Scope) {
			return true
		}
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
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
		for e := range src {
			if !send(e) {
				return
			}
		}
	}()
	return out, nil
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

// webhookFilter parses a WebhookFilter.
func webhookFilter(m map[string]any) (storage.WebhookFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.WebhookFilter{IDIn: in.ints("idIn"), Scope: in.str("scope"), IsActive: in.boolean("isActive")}
	return f, in.err
}

// deliveryFilter parses a WebhookDeliveryFilter.
func deliveryFilter(m map[string]any) (storage.WebhookDeliveryFilter, error) {
	in := input{m: m, path: "filter"}
	f := storage.WebhookDeliveryFilter{IDIn: in.ints("idIn"), WebhookIDIn: in.ints("webhookIdIn"),
		EventIDIn: in.ints("eventIdIn"), Status: enum[storage.WebhookDeliveryStatus](&in, "status")}
	return f, in.err
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
