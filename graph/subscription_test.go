package graph_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// event is a customerEvents payload.
type event struct {
	ID    int    `json:"id"`
	Scope string `json:"scope"`
	Data  struct {
		Type    string `json:"type"`
		ID      int    `json:"id"`
		Address *struct {
			CustomerID int `json:"customerId"`
		} `json:"address"`
	} `json:"data"`
	Hash string `json:"hash"`
}

const eventsQuery = `subscription($scopes: [String!], $afterId: Int) {
	customerEvents(scopes: $scopes, afterId: $afterId) { id scope data { type id address { customerId } } hash } }`

// wsSubscription is a graphql-transport-ws client.
type wsSubscription struct {
	conn *websocket.Conn
	ctx  context.Context
}

// subscribeWS opens a graphql-transport-ws subscription with the init
// payload; it returns the error message when the server refuses it.
func (s *testServer) subscribeWS(t *testing.T, init map[string]any, vars map[string]any) *wsSubscription {
	t.Helper()
	conn, ctx := s.dialWS(t)
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": init}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("ack: %v %v", ack, err)
	}
	// Start from the newest event: what the test writes next is what the
	// subscription delivers, however long the server takes to start it.
	if vars == nil {
		vars = map[string]any{}
	}
	if _, ok := vars["afterId"]; !ok {
		last, err := s.db.LastEventID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vars["afterId"] = last
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe",
		"payload": map[string]any{"query": eventsQuery, "variables": vars}}); err != nil {
		t.Fatal(err)
	}
	return &wsSubscription{conn: conn, ctx: ctx}
}

// dialWS opens a graphql-transport-ws connection, closed with the test.
func (s *testServer) dialWS(t *testing.T) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http"),
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn, ctx
}

// next returns the next event, or the errors of the subscription.
func (w *wsSubscription) next(t *testing.T) (*event, []gqlError) {
	t.Helper()
	for {
		var msg struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := wsjson.Read(w.ctx, w.conn, &msg); err != nil {
			t.Fatalf("read: %v", err)
		}
		switch msg.Type {
		case "ping":
			wsjson.Write(w.ctx, w.conn, map[string]any{"type": "pong"})
		case "next":
			var p struct {
				Data struct {
					CustomerEvents *event `json:"customerEvents"`
				} `json:"data"`
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(msg.Payload, &p); err != nil {
				t.Fatal(err)
			}
			return p.Data.CustomerEvents, p.Errors
		case "error":
			var errs []gqlError
			json.Unmarshal(msg.Payload, &errs)
			return nil, errs
		case "complete":
			t.Fatal("the subscription completed")
		}
	}
}

// sseSubscription is a server-sent events client.
type sseSubscription struct {
	lines *bufio.Scanner
	body  interface{ Close() error }
}

func (s *testServer) subscribeSSE(t *testing.T, header http.Header) *sseSubscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	last, err := s.db.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": eventsQuery, "variables": map[string]any{"afterId": last}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.srv.URL, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	return &sseSubscription{lines: bufio.NewScanner(res.Body), body: res.Body}
}

func (e *sseSubscription) next(t *testing.T) *event {
	t.Helper()
	for e.lines.Scan() {
		data, ok := strings.CutPrefix(e.lines.Text(), "data: ")
		if !ok {
			continue
		}
		var p struct {
			Data struct {
				CustomerEvents *event `json:"customerEvents"`
			} `json:"data"`
			Errors []gqlError `json:"errors"`
		}
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Errors) > 0 {
			t.Fatalf("errors: %+v", p.Errors)
		}
		return p.Data.CustomerEvents
	}
	t.Fatalf("the stream ended: %v", e.lines.Err())
	return nil
}

// createCustomer writes a customer through the API and returns its id.
func (s *testServer) createCustomer(t *testing.T, email string) int {
	t.Helper()
	var out struct {
		CreateCustomers struct{ Customers []node } `json:"createCustomers"`
	}
	s.mustQuery(fmt.Sprintf(`mutation { createCustomers(input: [{email: %q, firstName: "E", lastName: "V"}]) { customers { id } } }`, email),
		nil, &out)
	return out.CreateCustomers.Customers[0].ID
}

func TestSubscriptionOverWebsocket(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	sub := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, nil)
	id := s.createCustomer(t, "ws1@events.example")
	e, errs := sub.next(t)
	if len(errs) > 0 || e.Scope != "store/customer/created" || e.Data.Type != "customer" || e.Data.ID != id || len(e.Hash) != 40 {
		t.Fatalf("event %+v, errors %+v", e, errs)
	}
	s.mustQuery(fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, notes: "n"}]) { userErrors { code } } }`, id), nil, nil)
	if e, _ := sub.next(t); e.Scope != "store/customer/updated" || e.Data.ID != id {
		t.Fatalf("second event %+v", e)
	}
}

func TestSubscriptionOverSSE(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	sub := s.subscribeSSE(t, http.Header{"X-Auth-Token": {s.token}})
	id := s.createCustomer(t, "sse1@events.example")
	if e := sub.next(t); e.Scope != "store/customer/created" || e.Data.ID != id {
		t.Fatalf("event %+v", e)
	}
}

// TestSubscriptionScopesAndShoppers: a scope filter keeps other events
// out; a shopper sees its own account's events and nobody else's; a caller
// without credentials is refused.
func TestSubscriptionScopesAndShoppers(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedAccess(t, s)
	t.Run("Scopes", func(t *testing.T) {
		sub := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, map[string]any{"scopes": []string{"store/subscriber/*"}})
		s.createCustomer(t, "scoped@events.example")
		s.mustQuery(`mutation { createSubscriber(input: {email: "news@events.example"}) { userErrors { code } } }`, nil, nil)
		if e, _ := sub.next(t); e.Scope != "store/subscriber/created" || e.Data.Type != "subscriber" {
			t.Fatalf("event %+v, want the subscriber's", e)
		}
	})
	t.Run("ShopperSeesOnlyItself", func(t *testing.T) {
		sub := s.subscribeWS(t, map[string]any{"Authorization": "Bearer " + s.login(t, f.emailA, f.pw)}, nil)
		// B's address changes first, then A's: A's stream starts with A's.
		for _, q := range []string{
			fmt.Sprintf(`mutation { updateCustomerAddresses(input: [{id: %d, city: "Dallas"}]) { userErrors { code } } }`, f.addrB),
			fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, notes: "b"}]) { userErrors { code } } }`, f.customerB),
			fmt.Sprintf(`mutation { updateCustomerAddresses(input: [{id: %d, city: "Dallas"}]) { userErrors { code } } }`, f.addrA),
		} {
			s.mustQuery(q, nil, nil)
		}
		e, errs := sub.next(t)
		if len(errs) > 0 || e.Scope != "store/customer/address/updated" || e.Data.ID != f.addrA || e.Data.Address.CustomerID != f.customerA {
			t.Fatalf("shopper A's first event %+v (errors %+v), want A's address", e, errs)
		}
	})
	for name, init := range map[string]map[string]any{
		"NoCredentials":      nil,
		"UnknownToken":       {"X-Auth-Token": "cust_unknown"},
		"ExpiredOrForgedJWT": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"},
	} {
		t.Run(name, func(t *testing.T) {
			conn, ctx := s.dialWS(t)
			if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": init}); err != nil {
				t.Fatal(err)
			}
			var msg map[string]any
			err := wsjson.Read(ctx, conn, &msg)
			if status := websocket.CloseStatus(err); status != 4403 {
				t.Fatalf("read %v, %v: want the socket closed with 4403", msg, err)
			}
		})
	}
	t.Run("BadScope", func(t *testing.T) {
		sub := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, map[string]any{"scopes": []string{"store/order/*"}})
		if _, errs := sub.next(t); len(errs) == 0 || errs[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Fatalf("errors %+v, want BAD_USER_INPUT", errs)
		}
	})
}

// TestSubscriptionResume: a client that reconnects with the id of the last
// event it saw gets the events it missed, then live ones.
func TestSubscriptionResume(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	first := s.createCustomer(t, "r1@events.example")
	second := s.createCustomer(t, "r2@events.example")
	sub := s.subscribeWS(t, map[string]any{"X-Auth-Token": s.token}, map[string]any{"afterId": 0})
	for _, want := range []int{first, second} {
		if e, _ := sub.next(t); e.Data.ID != want {
			t.Fatalf("replayed %+v, want customer %d", e, want)
		}
	}
	third := s.createCustomer(t, "r3@events.example")
	if e, _ := sub.next(t); e.Data.ID != third {
		t.Fatalf("live %+v, want customer %d", e, third)
	}
}
