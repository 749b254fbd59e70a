package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

func TestWebhookWrites(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	var created struct {
		CreateWebhook struct {
			Webhook *struct {
				ID       int  `json:"id"`
				IsActive bool `json:"isActive"`
				Headers  []struct{ Name, Value string }
			} `json:"webhook"`
			Secret     *string     `json:"secret"`
			UserErrors []userError `json:"userErrors"`
		} `json:"createWebhook"`
	}
	s.mustQuery(`mutation { createWebhook(input: {scope: "store/customer/*", destination: "https://hooks.example.com/in",
		headers: [{name: "X-Key", value: "k"}]}) { webhook { id isActive headers { name value } } secret userErrors { code field } } }`,
		nil, &created)
	cw := created.CreateWebhook
	if cw.Webhook == nil || !cw.Webhook.IsActive || cw.Secret == nil || !strings.HasPrefix(*cw.Secret, "whsec_") ||
		len(cw.Webhook.Headers) != 1 || len(cw.UserErrors) != 0 {
		t.Fatalf("createWebhook: %+v", cw)
	}
	// The secret is shown once: never in reads or updates.
	r := s.do(`{ webhooks { nodes { id scope destination isActive headers { name value } deactivatedReason } } }`, nil)
	if len(r.Errors) > 0 || strings.Contains(string(r.Data), *cw.Secret) || !strings.Contains(string(r.Data), "hooks.example.com") {
		t.Fatalf("webhooks: %+v %s", r.Errors, r.Data)
	}
	r = s.do(`mutation($id: Int!) { updateWebhook(input: {id: $id, isActive: false}) { webhook { isActive } secret userErrors { code } } }`,
		map[string]any{"id": cw.Webhook.ID})
	if !strings.Contains(string(r.Data), `"isActive":false`) || !strings.Contains(string(r.Data), `"secret":null`) {
		t.Fatalf("updateWebhook: %s", r.Data)
	}

	for _, tt := range []struct{ name, input, field string }{
		{"PlainHTTP", `{scope: "store/customer/*", destination: "http://hooks.example.com/in"}`, "input.destination"},
		{"Metadata", `{scope: "store/customer/*", destination: "https://169.254.169.254/latest"}`, "input.destination"},
		{"Private", `{scope: "store/customer/*", destination: "https://10.0.0.1/in"}`, "input.destination"},
		{"CGNAT", `{scope: "store/customer/*", destination: "https://100.64.1.1/in"}`, "input.destination"},
		{"IPv6Loopback", `{scope: "store/customer/*", destination: "https://[::1]:22/"}`, "input.destination"},
		{"MappedIPv4", `{scope: "store/customer/*", destination: "https://[::ffff:127.0.0.1]/"}`, "input.destination"},
		{"Localhost", `{scope: "store/customer/*", destination: "https://localhost:8443/in"}`, "input.destination"},
		{"LoopbackHTTP", `{scope: "store/customer/*", destination: "http://127.0.0.1:9/in"}`, "input.destination"},
		{"Multicast", `{scope: "store/customer/*", destination: "https://224.0.0.1/"}`, "input.destination"},
		{"Unspecified", `{scope: "store/customer/*", destination: "https://0.0.0.0/"}`, "input.destination"},
		{"HeaderNameNotAToken", `{scope: "store/customer/*", destination: "https://h.example.com", headers: [{name: "X Bad", value: "x"}]}`, "input.headers"},
		{"HopByHopHeader", `{scope: "store/customer/*", destination: "https://h.example.com", headers: [{name: "Connection", value: "close"}]}`, "input.headers"},
		{"HeaderValueControl", `{scope: "store/customer/*", destination: "https://h.example.com", headers: [{name: "X-A", value: "a\u0001b"}]}`, "input.headers"},
		{"HeaderValueSpaces", `{scope: "store/customer/*", destination: "https://h.example.com", headers: [{name: "X-A", value: " padded"}]}`, "input.headers"},
		{"NotAURL", `{scope: "store/customer/*", destination: "hooks"}`, "input.destination"},
		{"UnknownScope", `{scope: "store/order/*", destination: "https://hooks.example.com"}`, "input.scope"},
		{"ReservedHeader", `{scope: "store/customer/created", destination: "https://h.example.com", headers: [{name: "webhook-signature", value: "x"}]}`, "input.headers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(`mutation { createWebhook(input: `+tt.input+`) { webhook { id } secret userErrors { code field } } }`, nil)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"code":"INVALID"`) ||
				!strings.Contains(string(r.Data), `"field":["`+strings.ReplaceAll(tt.field, ".", `","`)+`"]`) ||
				!strings.Contains(string(r.Data), `"secret":null`) {
				t.Fatalf("%s: %+v %s", tt.name, r.Errors, r.Data)
			}
		})
	}
	// Private destinations (and plain http to them) only when the operator
	// allows them (-webhook-allow-private).
	t.Run("LoopbackHTTPWhenAllowed", func(t *testing.T) {
		s.db.Destinations.AllowPrivate = true
		defer func() { s.db.Destinations.AllowPrivate = false }()
		r := s.do(`mutation { createWebhook(input: {scope: "store/subscriber/created", destination: "http://127.0.0.1:9/in"}) { webhook { id } userErrors { code } } }`, nil)
		if !strings.Contains(string(r.Data), `"userErrors":[]`) {
			t.Fatalf("loopback: %s", r.Data)
		}
	})
}

func TestWebhookDeliveriesQuery(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	ctx := context.Background()
	hook, _, err := s.db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/created", Destination: "https://hooks.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.createCustomer(t, "d1@events.example")
	if _, err := s.db.FanOut(ctx, 100); err != nil {
		t.Fatal(err)
	}
	var out struct {
		WebhookDeliveries struct {
			Nodes []struct {
				ID           int    `json:"id"`
				Status       string `json:"status"`
				AttemptCount int    `json:"attemptCount"`
				Webhook      struct{ ID int }
				Event        struct{ Scope string }
				Attempts     []struct{ Number int }
			} `json:"nodes"`
		} `json:"webhookDeliveries"`
	}
	s.mustQuery(`{ webhookDeliveries { nodes { id status attemptCount webhook { id } event { scope } attempts { number } } } }`, nil, &out)
	ds := out.WebhookDeliveries.Nodes
	if len(ds) != 1 || ds[0].Status != "PENDING" || ds[0].Webhook.ID != hook.ID || ds[0].Event.Scope != "store/customer/created" ||
		ds[0].AttemptCount != 0 || len(ds[0].Attempts) != 0 {
		t.Fatalf("deliveries: %+v", ds)
	}
	r := s.do(`mutation($id: Int!) { retryWebhookDelivery(id: $id) { delivery { id status } userErrors { code } } }`, map[string]any{"id": ds[0].ID})
	if !strings.Contains(string(r.Data), `"status":"PENDING"`) {
		t.Fatalf("retry: %s", r.Data)
	}
	r = s.do(`mutation { retryWebhookDelivery(id: 999) { delivery { id } userErrors { code } } }`, nil)
	if !strings.Contains(string(r.Data), `"code":"NOT_FOUND"`) {
		t.Fatalf("retry unknown: %s", r.Data)
	}
}
