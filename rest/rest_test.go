package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/storefront/customers/graph"
	"github.com/storefront/customers/rest"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// env is the REST API (and the GraphQL API, for comparisons) over one real
// store, served over HTTP, with a write and a read-only token.
type env struct {
	t            *testing.T
	db           *storage.DB
	srv          *httptest.Server
	write, read  string
	writeTokenID int
}

const storeHash = "abc123"

// newEnv starts the APIs over a new store; configure adjusts the REST
// options.
func newEnv(t *testing.T, configure ...func(*rest.Options)) *env {
	t.Helper()
	db, tokens := emptyStore.Open(t)
	return serve(t, db, tokens, configure...)
}

// newSeededEnv is newEnv over a copy of a store seeded once (seedStore).
func newSeededEnv(t *testing.T, configure ...func(*rest.Options)) (*env, fixture) {
	t.Helper()
	db, s := seededStore.Open(t)
	return serve(t, db, s.tokens, configure...), s.fixture
}

// envTokens are a store's write and read-only tokens.
type envTokens struct {
	write, read  string
	writeTokenID int
}

func createTokens(ctx context.Context, db *storage.DB) (envTokens, error) {
	var tk envTokens
	var err error
	var wt *storage.APIToken
	if tk.write, wt, err = db.CreateToken(ctx, "writer", []string{storage.ScopeWrite}); err != nil {
		return tk, err
	}
	tk.writeTokenID = wt.ID
	tk.read, _, err = db.CreateToken(ctx, "reader", []string{storage.ScopeRead})
	return tk, err
}

// The stores tests start from, made once per process and copied.
var (
	emptyStore  = storagetest.NewFixture(createTokens)
	seededStore = storagetest.NewFixture(func(ctx context.Context, db *storage.DB) (seeded, error) {
		tk, err := createTokens(ctx, db)
		if err != nil {
			return seeded{}, err
		}
		f, err := seedStore(ctx, db, tk.writeTokenID)
		return seeded{tk, f}, err
	})
)

type seeded struct {
	tokens  envTokens
	fixture fixture
}

// serve starts the APIs over db.
func serve(t *testing.T, db *storage.DB, tk envTokens, configure ...func(*rest.Options)) *env {
	t.Helper()
	e := &env{t: t, db: db, write: tk.write, read: tk.read, writeTokenID: tk.writeTokenID}
	opts := rest.Options{StoreHash: storeHash}
	for _, c := range configure {
		c(&opts)
	}
	mux := http.NewServeMux()
	mux.Handle("/stores/", rest.NewHandler(e.db, opts))
	mux.Handle("/graphql", graph.NewHandler(e.db, graph.Options{}))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// reply is an answer of the API.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends a request under /stores/{hash} with the token ("" for none)
// and a JSON body (nil for none).
func (e *env) call(method, path, token string, body any) reply {
	e.t.Helper()
	return e.callWith(method, path, token, body, nil)
}

func (e *env) callWith(method, path, token string, body any, header http.Header) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				e.t.Fatal(err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/stores/"+storeHash+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request with the write token that must answer want.
func (e *env) must(method, path string, body any, want int) reply {
	e.t.Helper()
	r := e.call(method, path, e.write, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// graphql runs a GraphQL query with the write token and decodes its data.
func (e *env) graphql(query string, vars map[string]any, out any) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", e.write)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		e.t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		e.t.Fatalf("graphql %s: %v", query, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// fixture is a seeded store: its records' ids, by name.
type fixture map[string]int

// seed writes a small store through the storage API: a group, attribute
// and form field definitions, two customers (one with an address,
// attribute and form field values, store credit and consent), a
// subscriber, a metafield and a REST webhook of the write token.
func (e *env) seed() fixture {
	e.t.Helper()
	f, err := seedStore(context.Background(), e.db, e.writeTokenID)
	if err != nil {
		e.t.Fatalf("seed: %v", err)
	}
	return f
}

// seedStore is seed's work; the webhook and the metafield are the token
// writeTokenID's.
func seedStore(ctx context.Context, db *storage.DB, writeTokenID int) (fixture, error) {
	f := fixture{}
	g, err := db.CreateGroup(ctx, storage.GroupInput{Name: "Wholesale"})
	if err != nil {
		return nil, err
	}
	f["group"] = g.ID
	attrs, err := db.CreateAttributes(ctx, []storage.AttributeInput{{Name: "Age", Type: storage.AttributeNumber}})
	if err != nil {
		return nil, err
	}
	f["attribute"] = attrs[0].ID
	_, err = db.CreateFormFields(ctx, []storage.FormFieldInput{
		{Name: "hobby", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnCustomer},
		{Name: "gate", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnAddress},
	})
	if err != nil {
		return nil, err
	}
	pw := "Secret-1234"
	cs, err := db.CreateCustomers(ctx, []storage.CustomerInput{
		{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555-0100", NewPassword: &pw,
			CustomerGroupID: storage.Some(&g.ID),
			Addresses: []storage.AddressInput{{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", City: "Austin",
				StateOrProvince: "Texas", PostalCode: "78701", CountryCode: "US", Phone: "555-0100",
				FormFields: []storage.FormFieldValueInput{{Name: "gate", Value: storage.StringValue("B")}}}},
			Attributes:         []storage.AttributeValueInput{{AttributeID: attrs[0].ID, Value: "42"}},
			FormFields:         []storage.FormFieldValueInput{{Name: "hobby", Value: storage.StringValue("chess")}},
			StoreCreditAmounts: []*storage.StoreCreditAmount{{Amount: 12.5}}},
		{Email: "bob@example.com", FirstName: "Bob", LastName: "Ray"},
	})
	if err != nil {
		return nil, err
	}
	f["customer"], f["other"] = cs[0].ID, cs[1].ID
	as, err := db.FindAddressesByCustomerIDs(ctx, []int{cs[0].ID})
	if err != nil {
		return nil, err
	}
	f["address"] = as[cs[0].ID][0].ID
	vs, err := db.FindAttributeValuesByCustomerIDs(ctx, []int{cs[0].ID})
	if err != nil {
		return nil, err
	}
	f["value"] = vs[cs[0].ID][0].ID
	_, err = db.UpdateConsent(ctx, storage.ConsentInput{CustomerID: cs[0].ID, Allow: []storage.ConsentCategory{storage.ConsentEssential}})
	if err != nil {
		return nil, err
	}
	s, err := db.CreateSubscriber(ctx, storage.SubscriberInput{Email: "news@example.com", FirstName: "New", Source: "storefront",
		Consents: []storage.SubscriberConsent{storage.ConsentMarketingNewsletter}})
	if err != nil {
		return nil, err
	}
	f["subscriber"] = s.ID
	ms, err := db.CreateMetafields(ctx, storage.MetafieldViewer{TokenID: writeTokenID}, []storage.MetafieldInput{
		{CustomerID: cs[0].ID, Namespace: "erp", Key: "id", Value: "A-1", PermissionSet: storage.MetafieldRead}})
	if err != nil {
		return nil, err
	}
	f["metafield"] = ms[0].ID
	owner := writeTokenID
	wh, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: "https://hooks.example.com/in",
		Headers: map[string]string{"X-Secret": "s"}, Format: storage.WebhookBigCommerce, OwnerTokenID: &owner})
	if err != nil {
		return nil, err
	}
	f["hook"] = wh.ID
	return f, nil
}

// expand replaces {name} in s with the fixture's ids.
func (f fixture) expand(s string) string {
	for k, v := range f {
		s = strings.ReplaceAll(s, "{"+k+"}", itoa(v))
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
