package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/wire"
)

// mustDump returns the store's dump.
func mustDump(t *testing.T, db *storage.DB, opts storage.DumpOptions) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := db.Dump(context.Background(), &b, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// wholeStore is what seedWholeStore made that a test needs again.
type wholeStore struct {
	password string
	// tokens are the API tokens, in the order made: a back-office token
	// (its own cost budget, metafields, a REST webhook and notification
	// emails), a revoked read-only one, and a used one with a metafield.
	tokens []string
	// owner is the back-office token's id.
	owner int
	// secrets are the webhooks' signing secrets, by id.
	secrets map[int]string
}

// seedWholeStore adds to a demo store of 120 customers
// (storagetest.MustOpenDemo) what the demo leaves out: API
// tokens (one revoked, one used, one with its own cost budget), customer
// metafields of two tokens, webhooks (one off, with headers; one a token's
// in BigCommerce's format), a token's notification emails, subscribers
// with consents, a second channel's settings, a customer with a password,
// deleted records (so that the last ids given are above the highest ids
// kept) and events.
func seedWholeStore(t *testing.T, db *storage.DB) wholeStore {
	t.Helper()
	ctx := context.Background()
	ws := wholeStore{secrets: map[int]string{}}
	db.Destinations.AllowPrivate = true // its webhooks point to this machine

	// Tokens, made three days before the store's clock; one revoked and
	// one used a day later.
	storagetest.SetNow(db, storagetest.Now.Add(-72*time.Hour))
	var ids []int
	for _, in := range []storage.TokenInput{
		{Name: "back-office", Scopes: []string{storage.ScopeWrite}, CostBudget: ptr(2_000_000), CostRestore: ptr(200_000)},
		{Name: "old reader", Scopes: []string{storage.ScopeRead}},
		{Scopes: []string{storage.ScopeRead, storage.ScopeWrite}},
	} {
		tok, rec, err := db.CreateTokenWith(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ws.tokens, ids = append(ws.tokens, tok), append(ids, rec.ID)
	}
	ws.owner = ids[0]
	storagetest.SetNow(db, storagetest.Now.Add(-24*time.Hour))
	if err := db.RevokeToken(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindToken(ctx, ws.tokens[2]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; { // the use is noted in the background
		toks, err := db.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if toks[2].LastUsed != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the token's use was not noted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	storagetest.SetNow(db, storagetest.Now)

	// Metafields of two tokens; one deleted, so that the last id given is
	// above the highest kept.
	mine := storage.MetafieldViewer{TokenID: ids[0]}
	if _, err := db.CreateMetafields(ctx, mine, []storage.MetafieldInput{
		{CustomerID: 1, Namespace: "erp", Key: "account", Value: "AC-1001", PermissionSet: storage.MetafieldAppOnly},
		{CustomerID: 1, Namespace: "erp", Key: "terms", Value: "net 30\nsigned <2025>", Description: "Payment terms & notes",
			PermissionSet: storage.MetafieldReadSF},
		{CustomerID: 7, Namespace: "loyalty", Key: "tier", Value: "gold", PermissionSet: storage.MetafieldWrite},
		{CustomerID: 7, Namespace: "loyalty", Key: "gone", Value: "x", PermissionSet: storage.MetafieldRead},
	}); err != nil {
		t.Fatal(err)
	}
	made, err := db.CreateMetafields(ctx, storage.MetafieldViewer{TokenID: ids[2]}, []storage.MetafieldInput{
		{CustomerID: 7, Namespace: "loyalty", Key: "tier", Value: "silver", PermissionSet: storage.MetafieldWriteSF},
		{CustomerID: 9, Namespace: "sync", Key: "gone", Value: "y", PermissionSet: storage.MetafieldAppOnly},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteMetafields(ctx, storage.MetafieldViewer{TokenID: ids[2]}, []int{made[1].ID}); err != nil {
		t.Fatal(err)
	}

	off := false
	for _, in := range []storage.WebhookInput{
		{Scope: "store/customer/*", Destination: "https://hooks.example.com/in", Headers: map[string]string{"X-Tenant": "north", "Authorization": "Basic abc"}},
		{Scope: "store/subscriber/created", Destination: "http://127.0.0.1:9/hook", IsActive: &off},
		{Scope: "store/customer/updated", Destination: "https://erp.example.com/bc", Headers: map[string]string{"X-Erp-Key": "k1"},
			Format: storage.WebhookBigCommerce, OwnerTokenID: &ids[0]},
	} {
		w, secret, err := db.CreateWebhook(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ws.secrets[w.ID] = secret
	}
	if err := db.SetNotificationEmails(ctx, ids[0], []string{"ops@example.com", "alerts@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []storage.SubscriberInput{
		{Email: "news@example.com", FirstName: "N", Source: "storefront",
			Consents: []storage.SubscriberConsent{storage.ConsentMarketingNewsletter, storage.ConsentAbandonedCart}},
		{Email: "carts@example.com", Consents: []storage.SubscriberConsent{storage.ConsentAbandonedCart}},
	} {
		if _, err := db.CreateSubscriber(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	yes, url := true, "https://shop.example.com/privacy-v2"
	if _, err := db.UpdateSettings(ctx, storage.SettingsUpdate{AskShopperForTrackingConsent: &yes, PolicyURL: &url}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateChannelSettings(ctx, storage.ChannelSettingsUpdate{ChannelID: 3, AllowGlobalLogins: storage.Some(&yes),
		GuestCustomerGroupID: storage.Some(ptr(2))}); err != nil {
		t.Fatal(err)
	}
	ws.password = "S3cret-pass"
	customers, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "pass@word.example", FirstName: "Åsa", LastName: "Pass",
		NewPassword: &ws.password}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "gone@x.example", FirstName: "Gone", LastName: "Soon"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteCustomers(ctx, []int{customers[0].ID + 1}); err != nil {
		t.Fatal(err)
	}
	return ws
}

func ptr[T any](v T) *T { return &v }

// TestDB_DumpRestore: a whole store, dumped and restored into an empty
// store, reads the same and dumps the same bytes; ids deleted before the
// dump are not given again, webhooks get new secrets, and API tokens, kept
// as hashes, sign in to the restored store.
func TestDB_DumpRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := storagetest.MustOpenDemo(t, 120), storagetest.MustOpenDB(t)
	ws := seedWholeStore(t, src)

	dump := mustDump(t, src, storage.DumpOptions{PasswordHashes: true})
	lines := strings.Split(strings.TrimSuffix(dump, "\n"), "\n")
	var types []string
	var customers []string
	for _, l := range lines {
		var v struct {
			Type string
			Data json.RawMessage
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if len(types) == 0 || types[len(types)-1] != v.Type {
			types = append(types, v.Type)
		}
		if v.Type == "customer" {
			customers = append(customers, string(v.Data)+"\n")
		}
	}
	want := []string{"dump", "settings", "token", "group", "channel_settings", "attribute", "form_field", "customer", "metafield",
		"subscriber", "webhook", "webhook_notification_email", "sequences", "end"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("sections %v, want %v", types, want)
	}
	if lines[0] != `{"type":"dump","data":{"format":2}}` {
		t.Fatalf("first line %s", lines[0])
	}
	if strings.Join(customers, "") != mustExport(t, src, true) {
		t.Fatal("the dump's customers are not what export writes")
	}
	if strings.Contains(dump, "whsec_") {
		t.Fatal("the dump holds a webhook secret")
	}
	for _, tok := range ws.tokens {
		sum := sha256.Sum256([]byte(tok))
		if strings.Contains(dump, tok) || strings.Contains(dump, strings.TrimPrefix(tok, "cust_")) ||
			!strings.Contains(dump, `"token_hash":"`+hex.EncodeToString(sum[:])+`"`) {
			t.Fatal("the dump holds a token, or not its hash")
		}
	}
	if strings.Contains(mustDump(t, src, storage.DumpOptions{}), "argon2id") {
		t.Fatal("a dump without PasswordHashes holds a password hash")
	}

	st, err := dst.Restore(ctx, strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != 121 || st.Groups != 5 || st.Webhooks != 3 || st.ChannelSettings != 2 || st.Subscribers != 32 ||
		st.Tokens != 3 || st.Metafields != 5 || st.NotificationEmails != 2 || len(st.Secrets) != 3 {
		t.Fatalf("restored %+v", st)
	}
	// Before any token is used on it (a use is written down).
	if again := mustDump(t, dst, storage.DumpOptions{PasswordHashes: true}); again != dump {
		t.Fatalf("the restored store dumps differently:\n%s", firstDifference(dump, again))
	}
	if snapshot(t, dst) != snapshot(t, src) {
		t.Fatal("the restored store reads differently")
	}
	for _, db := range []*storage.DB{src, dst} {
		s, err := db.FindSettings(ctx)
		if err != nil || s.PrivacySettings.PolicyURL != "https://shop.example.com/privacy-v2" {
			t.Fatalf("settings %+v (%v)", s, err)
		}
	}
	// What a token keeps reads the same: its metafields (as each token
	// sees them), its webhooks and their notification emails.
	reads := func(db *storage.DB) string {
		var all []any
		toks, err := db.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, toks)
		for _, tok := range toks {
			ms, err := db.FindMetafields(ctx, storage.MetafieldViewer{TokenID: tok.ID}, storage.MetafieldFilter{}, false,
				storage.PageRequest{Page: 1, Limit: storage.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			hooks, err := db.FindWebhooks(ctx, storage.WebhookFilter{OwnerTokenID: &tok.ID}, storage.PageRequest{Page: 1, Limit: storage.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			emails, err := db.NotificationEmails(ctx, tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ms.Items, hooks.Items, emails)
		}
		hooks, err := db.FindWebhooks(ctx, storage.WebhookFilter{}, storage.PageRequest{Page: 1, Limit: storage.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hooks.Items)
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := reads(dst), reads(src); got != want {
		t.Fatalf("tokens and what they keep read differently:\n%s\n%s", got, want)
	}
	if hooks, _ := dst.FindWebhooks(ctx, storage.WebhookFilter{OwnerTokenID: &ws.owner}, storage.PageRequest{Page: 1, Limit: 10}); len(hooks.Items) != 1 ||
		hooks.Items[0].Format != storage.WebhookBigCommerce {
		t.Fatalf("the back-office token's webhooks: %+v", hooks.Items)
	}
	if ms, _ := dst.FindMetafields(ctx, storage.MetafieldViewer{TokenID: ws.owner}, storage.MetafieldFilter{}, false,
		storage.PageRequest{Page: 1, Limit: 10}); len(ms.Items) != 5 {
		t.Fatalf("the back-office token sees %d metafields, want its 4 and the other token's 1", len(ms.Items))
	}

	// The tokens sign in as they did; the revoked one stays revoked.
	for i, tok := range ws.tokens {
		got, err := dst.FindToken(ctx, tok)
		want, wantErr := src.FindToken(ctx, tok)
		if i == 1 {
			if storage.ErrorCode(err) != storage.ENOTFOUND || storage.ErrorCode(wantErr) != storage.ENOTFOUND {
				t.Fatalf("revoked token: %v in the restored store, %v in the source", err, wantErr)
			}
			continue
		}
		if err != nil || wantErr != nil || got.ID != want.ID || !slices.Equal(got.Scopes, want.Scopes) ||
			deref(got.CostBudget) != deref(want.CostBudget) {
			t.Fatalf("token %d: %+v (%v), want %+v (%v)", i, got, err, want, wantErr)
		}
	}
	// Sign-in works with the restored hashes.
	check, err := dst.CheckCredentials(ctx, "pass@word.example", ws.password, 1)
	if err != nil || !check.Valid {
		t.Fatalf("restored password: %+v (%v)", check, err)
	}
	// New secrets, which sign.
	for _, w := range st.Secrets {
		if !strings.HasPrefix(w.Secret, "whsec_") || w.ID < 1 || w.Destination == "" || ws.secrets[w.ID] == "" ||
			w.Secret == ws.secrets[w.ID] {
			t.Fatalf("restored webhook %+v", w)
		}
		if _, err := storage.SecretKey(w.Secret); err != nil {
			t.Fatal(err)
		}
	}
	// The ids the source gave are not given again: the deleted customer's
	// and metafield's ids stay unused, and events continue past the
	// source's.
	made, err := dst.CreateCustomers(ctx, []storage.CustomerInput{{Email: "after@x.example", FirstName: "A", LastName: "R"}})
	if err != nil {
		t.Fatal(err)
	}
	srcMade, err := src.CreateCustomers(ctx, []storage.CustomerInput{{Email: "after@x.example", FirstName: "A", LastName: "R"}})
	if err != nil {
		t.Fatal(err)
	}
	if made[0].ID != srcMade[0].ID {
		t.Fatalf("the restored store gave id %d, the source %d", made[0].ID, srcMade[0].ID)
	}
	srcEvents, _ := src.FindEventsAfter(ctx, 0, 1_000_000)
	dstEvents, _ := dst.FindEventsAfter(ctx, 0, 1_000_000)
	if len(dstEvents) != 1 || dstEvents[0].ID != srcEvents[len(srcEvents)-1].ID {
		t.Fatalf("the restored store's first event is %+v, want the source's next id %d", dstEvents, srcEvents[len(srcEvents)-1].ID)
	}
	in := []storage.MetafieldInput{{CustomerID: 2, Namespace: "n", Key: "k", Value: "v", PermissionSet: storage.MetafieldRead}}
	m, err := dst.CreateMetafields(ctx, storage.MetafieldViewer{TokenID: ws.owner}, in)
	if err != nil {
		t.Fatal(err)
	}
	srcM, err := src.CreateMetafields(ctx, storage.MetafieldViewer{TokenID: ws.owner}, in)
	if err != nil {
		t.Fatal(err)
	}
	if m[0].ID != srcM[0].ID {
		t.Fatalf("the restored store gave metafield id %d, the source %d", m[0].ID, srcM[0].ID)
	}
	tok, rec, err := dst.CreateToken(ctx, "after", []string{storage.ScopeRead})
	if err != nil || tok == "" || rec.ID != len(ws.tokens)+1 {
		t.Fatalf("a new token in the restored store: %+v (%v)", rec, err)
	}
}

// firstDifference shows where two dumps part.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n" + al[i] + "\n" + bl[i]
		}
	}
	return "lengths differ"
}

// TestDB_RestoreRefuses: a restore that meets a problem says where and
// writes nothing.
func TestDB_RestoreRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := storagetest.MustOpenDemo(t, 120)
	seedWholeStore(t, src)
	dump := mustDump(t, src, storage.DumpOptions{})
	lines := strings.Split(strings.TrimSuffix(dump, "\n"), "\n")
	lineOf := func(typ string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, `{"type":"`+typ+`"`) {
				return i
			}
		}
		t.Fatalf("no %s line", typ)
		return 0
	}
	edit := func(i int, f func(string) string) string {
		out := append([]string(nil), lines...)
		out[i] = f(out[i])
		return strings.Join(out, "\n") + "\n"
	}
	without := func(i int) string {
		out := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
		return strings.Join(out, "\n") + "\n"
	}
	// set gives a key of line i's record a value.
	set := func(i int, key string, v any) string {
		return edit(i, func(l string) string {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			m["data"].(map[string]any)[key] = v
			b, _ := json.Marshal(m)
			return string(b)
		})
	}
	customer := lineOf("customer") + 5
	token, metafield, email := lineOf("token"), lineOf("metafield"), lineOf("webhook_notification_email")
	restHook := lineOf("webhook") + 2
	tests := []struct {
		name string
		dump string
		line int // 1-based; 0: no line (a store-level refusal)
		code string
		text string
	}{
		{"CutShort", strings.Join(lines[:len(lines)-1], "\n"), len(lines) - 1, storage.EINVALID, "cut short"},
		{"LineMissing", without(customer), len(lines) - 1, storage.EINVALID, "were read"},
		{"NotADump", `{"id":1,"email":"a@x.io"}`, 1, storage.EINVALID, "Unknown key"},
		{"NoHeader", strings.Join(lines[1:], "\n"), 1, storage.EINVALID, "begins with its dump line"},
		{"UnknownType", edit(customer, func(l string) string { return strings.Replace(l, `"customer"`, `"client"`, 1) }),
			customer + 1, storage.EINVALID, `"client" is not a line type`},
		{"OutOfOrder", edit(lineOf("subscriber"), func(string) string { return lines[lineOf("group")] }),
			lineOf("subscriber") + 1, storage.EINVALID, "comes before"},
		{"BadCustomer", edit(customer, func(l string) string { return strings.Replace(l, `"first_name"`, `"frist_name"`, 1) }),
			customer + 1, storage.EINVALID, "did you mean first_name"},
		{"BadGroup", edit(lineOf("group"), func(l string) string { return strings.Replace(l, `"name":"`, `"name":"`+strings.Repeat("x", 300), 1) }),
			lineOf("group") + 1, storage.ETOOLONG, ""},
		{"DuplicateEmail", edit(customer, func(l string) string {
			var c wire.Customer
			json.Unmarshal([]byte(lines[customer-1][len(`{"type":"customer","data":`):len(lines[customer-1])-1]), &c)
			var m map[string]any
			json.Unmarshal([]byte(l), &m)
			m["data"].(map[string]any)["email"] = strings.ToUpper(c.Email)
			b, _ := json.Marshal(m)
			return string(b)
		}), customer + 1, storage.ECONFLICT, "also given to line " + strconv.Itoa(customer)},
		{"BadFormat", edit(0, func(string) string { return `{"type":"dump","data":{"format":9}}` }), 1, storage.EINVALID,
			"format 1 or 2, not 9"},
		{"BadTokenHash", set(token, "token_hash", "abc"), token + 1, storage.EINVALID, "data.token_hash: Must be the token's SHA-256"},
		{"UppercaseTokenHash", set(token, "token_hash", strings.Repeat("A", 64)), token + 1, storage.EINVALID, "data.token_hash"},
		{"BadTokenScope", set(token, "scopes", []string{"admin"}), token + 1, storage.EINVALID, `data.scopes: "admin" is not a scope`},
		{"BadTokenBudget", set(token, "cost_budget", -1), token + 1, storage.EINVALID, "data.cost_budget"},
		{"TokenTwice", edit(token+1, func(string) string { return lines[token] }), token + 2, storage.ECONFLICT,
			"An earlier token has the id"},
		{"TokenHashTwice", edit(token+1, func(l string) string {
			var first struct {
				Data struct {
					TokenHash string `json:"token_hash"`
				}
			}
			json.Unmarshal([]byte(lines[token]), &first)
			var m map[string]any
			json.Unmarshal([]byte(l), &m)
			m["data"].(map[string]any)["token_hash"] = first.Data.TokenHash
			b, _ := json.Marshal(m)
			return string(b)
		}), token + 2, storage.ECONFLICT, "An earlier token has this hash"},
		{"BadTokenDate", set(token, "revoked_at", "yesterday"), token + 1, storage.EINVALID, `data.revoked_at: "yesterday" is not a date`},
		{"MissingOwnerToken", without(token), metafield, storage.ENOTFOUND, "data.owner_token_id: No API token 1 comes before this line"},
		{"BadMetafield", set(metafield, "permission_set", "everyone"), metafield + 1, storage.EINVALID, "data.permission_set"},
		{"MetafieldWithoutKey", set(metafield, "key", ""), metafield + 1, storage.EREQUIRED, "data.key"},
		{"MetafieldOfNoCustomer", set(metafield, "customer_id", 99999), metafield + 1, storage.ENOTFOUND,
			"data.customer_id: There is no customer 99999"},
		{"MetafieldOfUnknownToken", set(metafield, "owner_token_id", 99), metafield + 1, storage.ENOTFOUND,
			"data.owner_token_id: No API token 99"},
		{"MetafieldTwice", edit(metafield+1, func(string) string { return lines[metafield] }), metafield + 2, storage.ECONFLICT,
			"An earlier metafield has the id"},
		{"MetafieldKeyTwice", set(metafield+1, "key", "account"), metafield + 2, storage.ECONFLICT, "already keeps the key"},
		{"WebhookOfUnknownToken", set(restHook, "owner_token_id", 99), restHook + 1, storage.ENOTFOUND,
			"data.owner_token_id: No API token 99"},
		{"BadWebhookFormat", set(restHook, "format", "json"), restHook + 1, storage.EINVALID, "data.format"},
		{"EmailOfUnknownToken", set(email, "owner_token_id", 99), email + 1, storage.ENOTFOUND, "No API token 99"},
		{"BadEmail", set(email, "email", "ops at example"), email + 1, storage.EINVALID, "data.email"},
		{"EmailTwice", edit(email+1, func(string) string { return lines[email] }), email + 2, storage.ECONFLICT, "this email twice"},
		{"BadSubscriberConsent", set(lineOf("subscriber"), "consents", []string{"sms"}), lineOf("subscriber") + 1, storage.EINVALID,
			"data.consents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // a store of its own
			dst := storagetest.MustOpenDB(t)
			_, err := dst.Restore(ctx, strings.NewReader(tt.dump))
			p, ok := err.(storage.ImportProblem)
			if !ok || p.Line != tt.line {
				t.Fatalf("err=%v, want a problem on line %d", err, tt.line)
			}
			es := storage.AsErrors(p.Err)
			if len(es) == 0 || es[0].Code != tt.code || !strings.Contains(p.Error(), tt.text) {
				t.Fatalf("problem %v, want %s saying %q", p, tt.code, tt.text)
			}
			if empty, err := dst.IsEmpty(ctx); err != nil || !empty {
				t.Fatalf("a refused restore wrote something (empty=%v, %v)", empty, err)
			}
			if toks, err := dst.ListTokens(ctx); err != nil || len(toks) > 0 {
				t.Fatalf("a refused restore wrote tokens %v (%v)", toks, err)
			}
		})
	}
	t.Run("HasTokens", func(t *testing.T) {
		// Restored tokens keep their ids: a store with tokens of its own is
		// not empty.
		dst := storagetest.MustOpenDB(t)
		if _, _, err := dst.CreateToken(ctx, "", []string{storage.ScopeRead}); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Restore(ctx, strings.NewReader(dump)); storage.ErrorCode(err) != storage.ECONFLICT {
			t.Fatalf("restore into a store with a token: %v, want CONFLICT", err)
		}
		if toks, _ := dst.ListTokens(ctx); len(toks) != 1 {
			t.Fatalf("tokens after a refused restore: %v", toks)
		}
	})
	t.Run("NotEmpty", func(t *testing.T) {
		_, err := src.Restore(ctx, strings.NewReader(dump))
		if storage.ErrorCode(err) != storage.ECONFLICT {
			t.Fatalf("restore into a full store: %v, want CONFLICT", err)
		}
		if got := mustDump(t, src, storage.DumpOptions{}); got != dump {
			t.Fatal("a refused restore changed the store")
		}
	})
}

// TestDB_RestoreFormat1: a dump of format 1, written before tokens,
// metafields, webhook formats and owners, subscriber consents and
// notification emails were dumped, still restores, with those at their
// defaults.
func TestDB_RestoreFormat1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := storagetest.MustOpenDemo(t, 120), storagetest.MustOpenDB(t)
	seedWholeStore(t, src)
	var old []string
	for _, l := range strings.Split(strings.TrimSuffix(mustDump(t, src, storage.DumpOptions{}), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		data, _ := m["data"].(map[string]any)
		switch m["type"] {
		case "token", "metafield", "webhook_notification_email":
			continue
		case "dump":
			data["format"] = 1
		case "webhook":
			delete(data, "format")
			delete(data, "owner_token_id")
		case "subscriber":
			delete(data, "consents")
		case "end":
			data["lines"] = len(old)
		}
		b, _ := json.Marshal(m)
		old = append(old, string(b))
	}
	st, err := dst.Restore(ctx, strings.NewReader(strings.Join(old, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != 121 || st.Webhooks != 3 || st.Subscribers != 32 || st.Tokens != 0 || st.Metafields != 0 {
		t.Fatalf("restored %+v", st)
	}
	hooks, err := dst.FindWebhooks(ctx, storage.WebhookFilter{}, storage.PageRequest{Page: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks.Items {
		if h.Format != storage.WebhookStandard || h.OwnerTokenID != nil {
			t.Fatalf("webhook %d of a format 1 dump: %s, owner %v", h.ID, h.Format, h.OwnerTokenID)
		}
	}
	subs, err := dst.FindSubscribers(ctx, storage.SubscriberFilter{}, storage.PageRequest{Page: 1, Limit: storage.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs.Items {
		if s.Consents == nil || len(s.Consents) > 0 {
			t.Fatalf("subscriber %d of a format 1 dump: consents %v", s.ID, s.Consents)
		}
	}
}
