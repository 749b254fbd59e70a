package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/storefront/customers/storage"
)

// ssoEnv is a real server, a store handle on its file, a registered app
// and a customer who may sign in.
type ssoEnv struct {
	s        *telServer
	db       *storage.DB
	app      *storage.App
	customer *storage.Customer
	admin    string
}

func newSSOEnv(t *testing.T) *ssoEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sso.db")
	e := &ssoEnv{s: startTelServer(t, "-db", path, "-cors-origins", "https://shop.example")}
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	ctx := context.Background()
	if e.app, err = db.CreateApp(ctx, storage.AppInput{Name: "Storefront app"}); err != nil {
		t.Fatal(err)
	}
	pw := "Passw0rd!"
	out, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "sso@shop.example", FirstName: "S", LastName: "O",
		NewPassword: &pw}})
	if err != nil {
		t.Fatal(err)
	}
	e.customer = out[0]
	if e.admin, _, err = db.CreateToken(ctx, "admin", []string{storage.ScopeWrite}); err != nil {
		t.Fatal(err)
	}
	return e
}

// claims are a Customer Login token's claims, valid unless changed.
func (e *ssoEnv) claims() jwt.MapClaims {
	return jwt.MapClaims{"iss": e.app.ClientID, "iat": time.Now().Unix(), "jti": newJTI(), "operation": "customer_login",
		"store_hash": "customers", "customer_id": e.customer.ID}
}

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sign signs claims with the app's secret (HS256).
func (e *ssoEnv) sign(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(e.app.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// follow requests /login/token/{jwt} as a browser (no redirect followed)
// or, with asJSON, as an API client.
func (e *ssoEnv) follow(t *testing.T, token string, asJSON bool) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.s.url+"/login/token/"+token, nil)
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &body)
	return res, body
}

// gql posts a query with the headers and returns the decoded answer.
func (e *ssoEnv) gql(t *testing.T, query string, headers map[string]string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, e.s.url+"/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return out
}

// current asks /customer/current.jwt for the app with the headers.
func (e *ssoEnv) current(t *testing.T, clientID string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.s.url+"/customer/current.jwt?app_client_id="+clientID, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func errorCode(out map[string]any) any {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return nil
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	return ext["code"]
}

// TestCustomerLogin_RoundTrip: an app signs a Customer Login token, the
// shopper's browser follows it and is signed in with a cookie, `me`
// answers, the Current Customer JWT verifies under the app's secret and
// names the same customer; logout and a password change end the session.
func TestCustomerLogin_RoundTrip(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t)
	c := e.claims()
	c["redirect_to"] = "/account.php?tab=orders"
	token := e.sign(t, c)
	res, _ := e.follow(t, token, false)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/account.php?tab=orders" {
		t.Fatalf("status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "customer_token" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Fatalf("session cookie %+v", cookie)
	}
	browser := map[string]string{"Cookie": "customer_token=" + cookie.Value}
	me := e.gql(t, `{ me { id email } }`, browser)
	if got := fmt.Sprint(me["data"]); !strings.Contains(got, fmt.Sprint(e.customer.ID)) {
		t.Fatalf("me: %v", me)
	}

	res, body := e.current(t, e.app.ClientID, browser)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("current.jwt: %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	var claims jwt.MapClaims
	if _, err := jwt.ParseWithClaims(body, &claims, func(*jwt.Token) (any, error) { return []byte(e.app.Secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(e.app.ClientID), jwt.WithExpirationRequired()); err != nil {
		t.Fatalf("current.jwt does not verify under the app's secret: %v", err)
	}
	cust, _ := claims["customer"].(map[string]any)
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if cust["id"] != float64(e.customer.ID) || cust["email"] != "sso@shop.example" || cust["group_id"] != "" ||
		claims["sub"] != "customers" || claims["store_hash"] != "customers" || claims["operation"] != "current_customer" ||
		claims["version"] != float64(1) || claims["application_id"] != e.app.ClientID || exp-iat != 900 {
		t.Fatalf("current.jwt claims %v", claims)
	}

	// An API client gets the access token in the body.
	res, out := e.follow(t, e.sign(t, e.claims()), true)
	if res.StatusCode != http.StatusOK || out["redirectTo"] != "/account.php" || out["accessToken"] == "" {
		t.Fatalf("JSON answer: %d %v", res.StatusCode, out)
	}
	bearer := map[string]string{"Authorization": "Bearer " + out["accessToken"].(string)}
	if res, _ := e.current(t, e.app.ClientID, bearer); res.StatusCode != http.StatusOK {
		t.Fatalf("current.jwt with a bearer token: %d", res.StatusCode)
	}

	// Logout ends the browser's session; a password change ends the other.
	if out := e.gql(t, `mutation { logout { loggedOut } }`, browser); out["errors"] != nil {
		t.Fatalf("logout: %v", out)
	}
	if res, _ := e.current(t, e.app.ClientID, browser); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("current.jwt after logout: %d", res.StatusCode)
	}
	if out := e.gql(t, `{ me { id } }`, browser); errorCode(out) != "UNAUTHENTICATED" {
		t.Fatalf("me after logout: %v", out)
	}
	e.gql(t, fmt.Sprintf(`mutation { updateCustomers(input: [{id: %d, authentication: {newPassword: "An0ther-pass"}}]) {
		userErrors { code } } }`, e.customer.ID), map[string]string{"X-Auth-Token": e.admin})
	if out := e.gql(t, `{ me { id } }`, bearer); errorCode(out) != "UNAUTHENTICATED" {
		t.Fatalf("me after a password change: %v", out)
	}
	if strings.Contains(e.s.logs.String(), token) || strings.Contains(e.s.logs.String(), cookie.Value) {
		t.Fatal("a token reached the log")
	}
}

// TestCustomerLogin_Refusals: every way a Customer Login token is refused,
// with its status, code and reason, no session, and a log line without
// the token.
func TestCustomerLogin_Refusals(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t)
	ctx := context.Background()
	revoked, err := e.db.CreateApp(ctx, storage.AppInput{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeApp(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	pw := "Passw0rd!"
	out, err := e.db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "gone@shop.example", FirstName: "G", LastName: "O",
		NewPassword: &pw}, {Email: "ch2@shop.example", FirstName: "C", LastName: "H", ChannelIDs: []int{2}}})
	if err != nil {
		t.Fatal(err)
	}
	gone, channel2 := out[0].ID, out[1].ID
	if _, err := e.db.DeleteCustomers(ctx, []int{gone}); err != nil {
		t.Fatal(err)
	}
	with := func(change func(jwt.MapClaims)) string {
		c := e.claims()
		change(c)
		return e.sign(t, c)
	}
	signedWith := func(m jwt.SigningMethod, key any) string {
		tok, err := jwt.NewWithClaims(m, e.claims()).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	replayed := e.sign(t, e.claims())
	if res, _ := e.follow(t, replayed, false); res.StatusCode != http.StatusFound {
		t.Fatalf("first use: %d", res.StatusCode)
	}
	for _, tc := range []struct {
		name, token string
		status      int
		reason      string
	}{
		{"UnknownApp", with(func(c jwt.MapClaims) { c["iss"] = "nosuchclient" }), 401, "app"},
		{"RevokedApp", with(func(c jwt.MapClaims) { c["iss"] = revoked.ClientID }), 401, "app"},
		{"BadSignature", signedWith(jwt.SigningMethodHS256, []byte("not the secret")), 401, "signature"},
		{"HS512", signedWith(jwt.SigningMethodHS512, []byte(e.app.Secret)), 401, "alg"},
		{"None", signedWith(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), 401, "alg"},
		{"Malformed", "not-a-jwt", 401, "malformed"},
		{"TooOld", with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(-10 * time.Minute).Unix() }), 401, "expired"},
		{"InTheFuture", with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() }), 401, "iat"},
		{"NoIat", with(func(c jwt.MapClaims) { delete(c, "iat") }), 401, "iat"},
		{"Replayed", replayed, 401, "replay"},
		{"NoJti", with(func(c jwt.MapClaims) { delete(c, "jti") }), 401, "jti"},
		{"WrongOperation", with(func(c jwt.MapClaims) { c["operation"] = "current_customer" }), 401, "operation"},
		{"AbsoluteRedirect", with(func(c jwt.MapClaims) { c["redirect_to"] = "https://evil.example/" }), 401, "redirect_to"},
		{"SchemeRelativeRedirect", with(func(c jwt.MapClaims) { c["redirect_to"] = "//evil.example/x" }), 401, "redirect_to"},
		{"BackslashRedirect", with(func(c jwt.MapClaims) { c["redirect_to"] = "/\\evil.example" }), 401, "redirect_to"},
		{"WrongStore", with(func(c jwt.MapClaims) { c["store_hash"] = "otherstore" }), 403, "store_hash"},
		{"UnknownCustomer", with(func(c jwt.MapClaims) { c["customer_id"] = 999999 }), 403, "customer"},
		{"DeletedCustomer", with(func(c jwt.MapClaims) { c["customer_id"] = gone }), 403, "customer"},
		{"NoChannelAccess", with(func(c jwt.MapClaims) { c["customer_id"] = channel2 }), 403, "channel"},
		{"OtherAddress", with(func(c jwt.MapClaims) { c["request_ip"] = "203.0.113.9" }), 403, "request_ip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.follow(t, tc.token, false)
			code := map[int]string{401: "UNAUTHENTICATED", 403: "FORBIDDEN"}[tc.status]
			errs, _ := body["errors"].([]any)
			if res.StatusCode != tc.status || len(errs) != 1 || len(res.Cookies()) > 0 {
				t.Fatalf("status %d body %v cookies %v, want %d", res.StatusCode, body, res.Cookies(), tc.status)
			}
			ext := errs[0].(map[string]any)["extensions"].(map[string]any)
			if ext["code"] != code || ext["reason"] != tc.reason {
				t.Fatalf("extensions %v, want %s / %s", ext, code, tc.reason)
			}
		})
	}
	// The right address, and a channel the customer has, sign in.
	c := e.claims()
	c["request_ip"], c["customer_id"], c["channel_id"] = "127.0.0.1", channel2, 2
	if res, body := e.follow(t, e.sign(t, c), true); res.StatusCode != http.StatusOK {
		t.Fatalf("request_ip and channel that match: %d %v", res.StatusCode, body)
	}
	logs := e.s.logs.String()
	if n := strings.Count(logs, `"msg":"customer login refused"`); n < 20 {
		t.Fatalf("%d refusals logged, want one each", n)
	}
	for _, tok := range []string{replayed, "not-a-jwt"} {
		if strings.Contains(logs, tok) {
			t.Fatal("a refused token reached the log")
		}
	}
}

// TestCurrentCustomer_Refusals: no session is 401, an unknown app 404, a
// missing one 400; a browser may read it from the storefront's origin only.
func TestCurrentCustomer_Refusals(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t)
	res, out := e.follow(t, e.sign(t, e.claims()), true)
	if res.StatusCode != http.StatusOK {
		t.Fatal(out)
	}
	bearer := map[string]string{"Authorization": "Bearer " + out["accessToken"].(string)}
	if res, _ := e.current(t, e.app.ClientID, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no session: %d", res.StatusCode)
	}
	if res, _ := e.current(t, e.app.ClientID, map[string]string{"X-Auth-Token": e.admin}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an API token is no shopper: %d", res.StatusCode)
	}
	if res, _ := e.current(t, "nosuchapp", bearer); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown app: %d", res.StatusCode)
	}
	if res, _ := e.current(t, "", bearer); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("no app: %d", res.StatusCode)
	}
	shop := map[string]string{"Authorization": bearer["Authorization"], "Origin": "https://shop.example"}
	if res, _ := e.current(t, e.app.ClientID, shop); res.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("storefront origin: %v", res.Header)
	}
	evil := map[string]string{"Authorization": bearer["Authorization"], "Origin": "https://evil.example"}
	if res, _ := e.current(t, e.app.ClientID, evil); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin: %v", res.Header)
	}
	// Revoking the app ends the sessions it signed in.
	app, err := e.db.FindApp(context.Background(), e.app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeApp(context.Background(), app.ID); err != nil {
		t.Fatal(err)
	}
	if out := e.gql(t, `{ me { id } }`, bearer); errorCode(out) != "UNAUTHENTICATED" {
		t.Fatalf("me after the app was revoked: %v", out)
	}
}

// TestLoginWithToken: the GraphQL form of the Customer Login, with the
// same checks: a token signs in once; a refusal is a userError on token.
func TestLoginWithToken(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t)
	const q = `mutation($t: String!) { loginWithToken(token: $t) { accessToken customer { id } userErrors { code field message } } }`
	call := func(token string) map[string]any {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"t": token}})
		res, err := http.Post(e.s.url+"/graphql", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Data struct {
				LoginWithToken map[string]any `json:"loginWithToken"`
			} `json:"data"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		return out.Data.LoginWithToken
	}
	token := e.sign(t, e.claims())
	p := call(token)
	if p["accessToken"] == nil || fmt.Sprint(p["customer"]) != fmt.Sprintf("map[id:%d]", e.customer.ID) {
		t.Fatalf("loginWithToken: %v", p)
	}
	if out := e.gql(t, `{ me { id } }`, map[string]string{"Authorization": "Bearer " + p["accessToken"].(string)}); out["errors"] != nil {
		t.Fatalf("me: %v", out)
	}
	for name, tc := range map[string]struct{ token, code string }{
		"Replayed":        {token, "INVALID"},
		"UnknownCustomer": {e.sign(t, func() jwt.MapClaims { c := e.claims(); c["customer_id"] = 424242; return c }()), "NOT_FOUND"},
		"NotAJWT":         {"x.y.z", "INVALID"},
	} {
		t.Run(name, func(t *testing.T) {
			p := call(tc.token)
			errs, _ := p["userErrors"].([]any)
			if p["accessToken"] != nil || len(errs) != 1 || errs[0].(map[string]any)["code"] != tc.code ||
				fmt.Sprint(errs[0].(map[string]any)["field"]) != "[token]" {
				t.Fatalf("payload %v, want one %s on token", p, tc.code)
			}
		})
	}
}

// TestXAuthClient: a request that names its app in X-Auth-Client gets the
// scopes both the token and the app allow; an unknown app is refused.
func TestXAuthClient(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t)
	reader, err := e.db.CreateApp(context.Background(), storage.AppInput{Name: "reporting", Scopes: []string{storage.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	rest := func(method, client, body string) int {
		req, _ := http.NewRequest(method, e.s.url+"/stores/customers/v3/customers", strings.NewReader(body))
		req.Header.Set("X-Auth-Token", e.admin)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		if client != "" {
			req.Header.Set("X-Auth-Client", client)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	create := `[{"email": "xac@shop.example", "first_name": "X", "last_name": "A"}]`
	if got := rest(http.MethodGet, reader.ClientID, ""); got != http.StatusOK {
		t.Fatalf("a read through the read-only app: %d", got)
	}
	if got := rest(http.MethodPost, reader.ClientID, create); got != http.StatusForbidden {
		t.Fatalf("a write through the read-only app: %d, want 403", got)
	}
	// BigCommerce's SDKs send their own API account's client id with
	// every request: an id that names no app here narrows nothing.
	if got := rest(http.MethodPost, "sdkaccountclientid", `[{"email": "sdk@shop.example", "first_name": "S", "last_name": "D"}]`); got != http.StatusOK {
		t.Fatalf("a write naming an unregistered client id: %d, want 200", got)
	}
	if got := rest(http.MethodPost, e.app.ClientID, create); got != http.StatusOK {
		t.Fatalf("a write through an app with both scopes: %d", got)
	}
	out := e.gql(t, `mutation { deleteCustomers(idIn: [1]) { deletedIds } }`,
		map[string]string{"X-Auth-Token": e.admin, "X-Auth-Client": reader.ClientID})
	if errorCode(out) != "FORBIDDEN" {
		t.Fatalf("a GraphQL write through the read-only app: %v", out)
	}
	// Revoking an app stops what is sent through it, on both APIs.
	if err := e.db.RevokeApp(context.Background(), reader.ID); err != nil {
		t.Fatal(err)
	}
	// The server trusts the app it looked up for 2 seconds (README), and
	// this is another process's revocation, as `app revoke` is.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := rest(http.MethodGet, reader.ClientID, "")
		if got == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a read through a revoked app, 10 s after: %d, want 401", got)
		}
	}
	out = e.gql(t, `{ customers(limit: 1) { nodes { id } } }`,
		map[string]string{"X-Auth-Token": e.admin, "X-Auth-Client": reader.ClientID})
	if errorCode(out) != "UNAUTHENTICATED" {
		t.Fatalf("a GraphQL read through a revoked app: %v", out)
	}
}
