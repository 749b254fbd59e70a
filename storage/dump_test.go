package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

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

// seedWholeStore makes a demo store with what the demo leaves out: webhooks
// (one off, with headers), a second channel's settings, a customer with a
// password, deleted records (so that the last ids given are above the
// highest ids kept) and events.
func seedWholeStore(t *testing.T, db *storage.DB) (password string) {
	t.Helper()
	ctx := context.Background()
	db.Destinations.AllowPrivate = true // its webhooks point to this machine
	if err := db.SeedDemo(ctx, 120); err != nil {
		t.Fatal(err)
	}
	off := false
	if _, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: "https://hooks.example.com/in",
		Headers: map[string]string{"X-Tenant": "north", "Authorization": "Basic abc"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/subscriber/created", Destination: "http://127.0.0.1:9/hook",
		IsActive: &off}); err != nil {
		t.Fatal(err)
	}
	yes, url := true, "https://shop.example.com/privacy-v2"
	if _, err := db.UpdateSettings(ctx, storage.SettingsUpdate{AskShopperForTrackingConsent: &yes, PolicyURL: &url}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateChannelSettings(ctx, storage.ChannelSettingsUpdate{ChannelID: 3, AllowGlobalLogins: storage.Some(&yes),
		GuestCustomerGroupID: storage.Some(ptr(2))}); err != nil {
		t.Fatal(err)
	}
	password = "S3cret-pass"
	made, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "pass@word.example", FirstName: "Åsa", LastName: "Pass",
		NewPassword: &password}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "gone@x.example", FirstName: "Gone", LastName: "Soon"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteCustomers(ctx, []int{made[0].ID + 1}); err != nil {
		t.Fatal(err)
	}
	return password
}

func ptr[T any](v T) *T { return &v }

// TestDB_DumpRestore: a whole store, dumped and restored into an empty
// store, reads the same and dumps the same bytes; ids deleted before the
// dump are not given again, and webhooks get new secrets.
func TestDB_DumpRestore(t *testing.T) {
	ctx := context.Background()
	src, dst := storagetest.MustOpenDB(t), storagetest.MustOpenDB(t)
	password := seedWholeStore(t, src)

	dump := mustDump(t, src, storage.DumpOptions{PasswordHashes: true})
	lines := strings.Split(strings.TrimSuffix(dump, "\n"), "\n")
	var types []string
	for _, l := range lines {
		var v struct{ Type string }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if len(types) == 0 || types[len(types)-1] != v.Type {
			types = append(types, v.Type)
		}
	}
	want := []string{"dump", "settings", "group", "channel_settings", "attribute", "form_field", "customer", "subscriber",
		"webhook", "sequences", "end"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("sections %v, want %v", types, want)
	}
	if strings.Contains(dump, "whsec_") {
		t.Fatal("the dump holds a webhook secret")
	}
	if strings.Contains(mustDump(t, src, storage.DumpOptions{}), "argon2id") {
		t.Fatal("a dump without PasswordHashes holds a password hash")
	}

	st, err := dst.Restore(ctx, strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != 121 || st.Groups != 5 || st.Webhooks != 2 || st.ChannelSettings != 2 || st.Subscribers != 30 ||
		len(st.Secrets) != 2 {
		t.Fatalf("restored %+v", st)
	}
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

	// Sign-in works with the restored hashes.
	check, err := dst.CheckCredentials(ctx, "pass@word.example", password, 1)
	if err != nil || !check.Valid {
		t.Fatalf("restored password: %+v (%v)", check, err)
	}
	// New secrets, which sign.
	for _, w := range st.Secrets {
		if !strings.HasPrefix(w.Secret, "whsec_") || w.ID < 1 || w.Destination == "" {
			t.Fatalf("restored webhook %+v", w)
		}
		if _, err := storage.SecretKey(w.Secret); err != nil {
			t.Fatal(err)
		}
	}
	// The ids the source gave are not given again: the deleted customer's
	// id stays unused, and events continue past the source's.
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
	ctx := context.Background()
	src := storagetest.MustOpenDB(t)
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
	customer := lineOf("customer") + 5
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
		{"BadFormat", edit(0, func(string) string { return `{"type":"dump","data":{"format":9}}` }), 1, storage.EINVALID, "format 1, not 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
		})
	}
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
