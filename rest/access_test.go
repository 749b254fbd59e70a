package rest_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// TestAccess: no token and unknown or revoked tokens are 401, a read-only
// token reads and gets 403 on every write, and nothing is written.
func TestAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	revoked, rt, err := e.db.CreateToken(ctx, "gone", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeToken(ctx, rt.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, token string }{{"none", ""}, {"unknown", "cust_nope"}, {"revoked", revoked},
		{"not an API token", "eyJhbGciOiJIUzI1NiJ9.e30.x"}} {
		if r := e.call("GET", "/v3/customers", tc.token, nil); r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, r.status)
		}
	}
	if r := e.call("GET", "/v3/customers", e.read, nil); r.status != http.StatusOK {
		t.Errorf("a read-only token reading: %d", r.status)
	}
	before := len(e.eventLog())
	for _, op := range rest.Operations() {
		if op.Method == "GET" {
			continue
		}
		r := e.call(op.Method, op.Path, e.read, []any{})
		if r.status != http.StatusForbidden {
			t.Errorf("%s %s with a read-only token: status %d, want 403", op.Method, op.Path, r.status)
		}
	}
	if after := len(e.eventLog()); after != before {
		t.Errorf("refused writes recorded %d events", after-before)
	}
	// Bearer works as X-Auth-Token does.
	if r := e.callWith("GET", "/v3/customers", "", nil, http.Header{"Authorization": {"Bearer " + e.read}}); r.status != http.StatusOK {
		t.Errorf("Authorization: Bearer: %d", r.status)
	}
}

// TestRateLimit: each token has its quota per window, reported in
// BigCommerce's headers; past it the answer is 429 with the time to wait,
// and another token is not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *rest.Options) { o.RateLimit = rest.RateLimit{Quota: 3, Window: time.Hour} })
	for i := 3; i > 0; i-- {
		r := e.call("GET", "/v3/customers", e.write, nil)
		if r.status != http.StatusOK {
			t.Fatalf("request %d: %d", 4-i, r.status)
		}
		if got := r.header.Get("X-Rate-Limit-Requests-Left"); got != strconv.Itoa(i-1) {
			t.Errorf("requests left = %s, want %d", got, i-1)
		}
		if r.header.Get("X-Rate-Limit-Requests-Quota") != "3" || r.header.Get("X-Rate-Limit-Time-Window-Ms") != "3600000" {
			t.Errorf("quota headers: %v", r.header)
		}
	}
	r := e.call("GET", "/v3/customers", e.write, nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("past the quota: %d", r.status)
	}
	var body wire.Error
	r.decode(t, &body)
	if body.Status != 429 || r.header.Get("X-Rate-Limit-Requests-Left") != "0" {
		t.Errorf("429 body %+v, headers %v", body, r.header)
	}
	reset, _ := strconv.Atoi(r.header.Get("X-Rate-Limit-Time-Reset-Ms"))
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if reset <= 0 || reset > 3600000 || retry != (reset+999)/1000 {
		t.Errorf("reset %d ms, Retry-After %d s", reset, retry)
	}
	if r := e.call("GET", "/v3/customers", e.read, nil); r.status != http.StatusOK {
		t.Errorf("another token: %d", r.status)
	}
}

// TestParseRateLimit reads the -rest-rate-limit forms.
func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want rest.RateLimit
		ok   bool
	}{
		{"150/30s", rest.RateLimit{Quota: 150, Window: 30 * time.Second}, true},
		{"0", rest.RateLimit{}, true},
		{"off", rest.RateLimit{}, true},
		{"10/1ms", rest.RateLimit{Quota: 10, Window: time.Millisecond}, true},
		{"150", rest.RateLimit{}, false},
		{"-1/30s", rest.RateLimit{}, false},
		{"150/soon", rest.RateLimit{}, false},
	} {
		got, err := rest.ParseRateLimit(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRateLimit(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestMetafields_TokensAndPermissions: a token does not see another's
// app_only metafield through REST, reads and changes a write one, and may
// not change a read one; a refused batch writes nothing.
func TestMetafields_TokensAndPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.seed()
	ctx := context.Background()
	other, _, err := e.db.CreateToken(ctx, "other app", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	var created wire.MetafieldBatch[wire.Metafield]
	e.must("POST", "/v3/customers/metafields", []any{
		map[string]any{"resource_id": f["customer"], "namespace": "p", "key": "private", "value": "1", "permission_set": "app_only"},
		map[string]any{"resource_id": f["customer"], "namespace": "p", "key": "shared", "value": "1", "permission_set": "write"},
	}, 200).decode(t, &created)
	if created.Meta.Success != 2 || created.Data[0].OwnerClientID == "" {
		t.Fatalf("created %+v", created)
	}
	var page wire.Collection[wire.Metafield]
	r := e.call("GET", "/v3/customers/"+itoa(f["customer"])+"/metafields", other, nil)
	r.decode(t, &page)
	var keys []string
	for _, m := range page.Data {
		keys = append(keys, m.Key)
	}
	if len(keys) != 2 || keys[0] != "id" || keys[1] != "shared" {
		t.Errorf("the other token sees %v", keys)
	}
	if r := e.call("GET", "/v3/customers/"+itoa(f["customer"])+"/metafields/"+itoa(created.Data[0].ID), other, nil); r.status != 404 {
		t.Errorf("another's app_only metafield: %d", r.status)
	}
	if r := e.call("PUT", "/v3/customers/metafields", other, []any{map[string]any{"id": created.Data[1].ID, "value": "2"}}); r.status != 200 {
		t.Errorf("changing a write metafield: %d %s", r.status, r.body)
	}
	r = e.call("PUT", "/v3/customers/metafields", other, []any{
		map[string]any{"id": created.Data[1].ID, "value": "3"},
		map[string]any{"id": f["metafield"], "value": "B"},
	})
	var refused wire.MetafieldBatch[wire.Metafield]
	r.decode(t, &refused)
	if r.status != 422 || refused.Meta.Failed != 2 || len(refused.Errors) != 1 || refused.Errors[0].Errors["1.id"] == "" {
		t.Errorf("changing another's read metafield: %d %s", r.status, r.body)
	}
	m, err := e.db.FindMetafieldByID(ctx, storage.MetafieldViewer{TokenID: e.writeTokenID}, created.Data[1].ID)
	if err != nil || m.Value != "2" {
		t.Errorf("the refused batch changed the shared metafield: %+v %v", m, err)
	}
}

// TestMedia: a body that is not JSON is 415, an Accept without JSON 406,
// an unknown path 404, another method 405; V2 errors come in V2's shape.
func TestMedia(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.callWith("POST", "/v3/customers", e.write, []byte("x=1"), http.Header{"Content-Type": {"text/plain"}}); r.status != 415 {
		t.Errorf("text body: %d", r.status)
	}
	if r := e.callWith("GET", "/v3/customers", e.write, nil, http.Header{"Accept": {"application/xml"}}); r.status != 406 {
		t.Errorf("Accept: application/xml: %d", r.status)
	}
	if r := e.callWith("GET", "/v3/customers", e.write, nil, http.Header{"Accept": {"text/html, */*;q=0.8"}}); r.status != 200 {
		t.Errorf("Accept with */*: %d", r.status)
	}
	if r := e.call("GET", "/v3/orders", e.write, nil); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
	r := e.call("PATCH", "/v3/customers", e.write, nil)
	if r.status != 405 || r.header.Get("Allow") == "" {
		t.Errorf("PATCH: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	r = e.call("GET", "/v2/customers/999", e.write, nil)
	var v2 wire.V2Errors
	r.decode(t, &v2)
	if r.status != 404 || len(v2.Errors) != 1 || v2.Errors[0].Status != 404 {
		t.Errorf("V2 404: %d %s", r.status, r.body)
	}
	big := make([]byte, 2<<20)
	if r := e.call("POST", "/v3/customers", e.write, append(append([]byte(`["`), big...), '"', ']')); r.status != 413 {
		t.Errorf("a 2 MiB body: %d", r.status)
	}
}

// TestFilterValuesCapped: a list filter holds at most a page's worth of
// values (250), as GraphQL's.
func TestFilterValuesCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := make([]string, 251)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	r := e.call("GET", "/v3/customers?id:in="+strings.Join(ids, ","), e.write, nil)
	var body wire.Error
	r.decode(t, &body)
	if r.status != 422 || body.Errors["id:in"] == "" {
		t.Errorf("251 ids: %d %s", r.status, r.body)
	}
	if r := e.call("GET", "/v3/customers?id:in="+strings.Join(ids[:250], ","), e.write, nil); r.status != 200 {
		t.Errorf("250 ids: %d", r.status)
	}
}
