package graph

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// TestSlowSubscriber: a subscriber that falls further behind than its
// backlog is not left to miss events silently: its stream ends with
// SLOW_SUBSCRIBER and the id of the last event it went past, and resuming
// after that id gives every event it did not get, in order.
func TestSlowSubscriber(t *testing.T) {
	db := storagetest.MustOpenDB(t)
	ctx := context.Background()
	_, tok, err := db.CreateToken(ctx, "slow", []string{storage.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	limits := StreamLimits{Backlog: 4}.withDefaults()
	r := &Resolver{DB: db, events: &feed{db: db, limits: limits}, subscriptions: &counter{}, streams: limits}
	caller := &Caller{Token: tok}
	ended := &streamErrors{}
	subCtx, cancel := context.WithCancel(context.WithValue(context.WithValue(ctx, callerKey{}, caller), sseErrorsKey{}, ended))
	defer cancel()
	events, err := r.customerEvents(subCtx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	create := func(n int, prefix string) {
		for i := range n {
			if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: fmt.Sprintf("%s%d@slow.example", prefix, i),
				FirstName: "S", LastName: "L"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Read one event, then stop reading while 40 more are written.
	create(1, "first")
	var got []int
	first := receive(t, events)
	got = append(got, first.ID)
	create(40, "burst")
	for e := range events {
		got = append(got, e.ID)
	}
	ended.mu.Lock()
	errs := ended.errs
	ended.mu.Unlock()
	if len(errs) != 1 || errs[0].Extensions["code"] != CodeSlowSubscriber {
		t.Fatalf("the stream ended with %+v, want SLOW_SUBSCRIBER", errs)
	}
	lastID := errs[0].Extensions["lastEventId"].(int64)
	if len(got) == 41 {
		t.Fatal("every event arrived: the subscriber was not slow")
	}
	if got[len(got)-1] != int(lastID) {
		t.Fatalf("lastEventId %d, but the last event delivered was %d", lastID, got[len(got)-1])
	}
	// Resuming after lastEventId gives the rest.
	resumed, err := r.customerEvents(subCtx, nil, ptr(int(lastID)))
	if err != nil {
		t.Fatal(err)
	}
	for len(got) < 41 {
		e := receive(t, resumed)
		if e.ID != got[len(got)-1]+1 {
			t.Fatalf("after %d came %d", got[len(got)-1], e.ID)
		}
		got = append(got, e.ID)
	}
}

func receive(t *testing.T, events <-chan *model.CustomerEvent) *model.CustomerEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within ten seconds")
	}
	return nil
}
