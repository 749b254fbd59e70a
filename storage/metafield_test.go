package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// metafieldEnv is a store with two customers and two API tokens.
type metafieldEnv struct {
	db           *storage.DB
	ann, bob     int
	owner, other storage.MetafieldViewer
	ctx          context.Context
}

func newMetafieldEnv(t *testing.T) *metafieldEnv {
	t.Helper()
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	cs, err := db.CreateCustomers(ctx, []storage.CustomerInput{
		{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"},
		{Email: "bob@example.com", FirstName: "Bob", LastName: "Ray"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, t1, err := db.CreateToken(ctx, "app one", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	_, t2, err := db.CreateToken(ctx, "app two", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	return &metafieldEnv{db: db, ann: cs[0].ID, bob: cs[1].ID, ctx: ctx,
		owner: storage.MetafieldViewer{TokenID: t1.ID}, other: storage.MetafieldViewer{TokenID: t2.ID}}
}

func (e *metafieldEnv) mustCreate(t *testing.T, in ...storage.MetafieldInput) []*storage.CustomerMetafield {
	t.Helper()
	out, err := e.db.CreateMetafields(e.ctx, e.owner, in)
	if err != nil {
		t.Fatalf("create metafields: %v", err)
	}
	return out
}

func (e *metafieldEnv) visible(t *testing.T, v storage.MetafieldViewer, customer int) []string {
	t.Helper()
	byCustomer, err := e.db.FindMetafieldsByCustomerIDs(e.ctx, v, []int{customer})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range byCustomer[customer] {
		keys = append(keys, m.Key)
	}
	return keys
}

func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	for _, e := range storage.AsErrors(err) {
		if e.Code == code && e.Field == field {
			return
		}
	}
	t.Fatalf("err = %v, want %s on %s", err, code, field)
}

// TestDB_Metafields_Visibility: app_only metafields are their owner's
// alone; the others every token sees; a shopper sees only the storefront
// ones of its own account.
func TestDB_Metafields_Visibility(t *testing.T) {
	t.Parallel()
	e := newMetafieldEnv(t)
	for _, p := range storage.MetafieldPermissionSets {
		e.mustCreate(t, storage.MetafieldInput{CustomerID: e.ann, Namespace: "ns", Key: string(p), Value: "v", PermissionSet: p})
	}
	if got, want := strings.Join(e.visible(t, e.owner, e.ann), ","), "app_only,read,write,read_and_sf_access,write_and_sf_access"; got != want {
		t.Errorf("owner sees %s, want %s", got, want)
	}
	if got, want := strings.Join(e.visible(t, e.other, e.ann), ","), "read,write,read_and_sf_access,write_and_sf_access"; got != want {
		t.Errorf("other token sees %s, want %s", got, want)
	}
	if got, want := strings.Join(e.visible(t, storage.MetafieldViewer{ShopperID: e.ann}, e.ann), ","), "read_and_sf_access,write_and_sf_access"; got != want {
		t.Errorf("shopper sees %s, want %s", got, want)
	}
	if got := e.visible(t, storage.MetafieldViewer{ShopperID: e.bob}, e.ann); len(got) != 0 {
		t.Errorf("another shopper sees %v", got)
	}
	pg, err := e.db.FindMetafields(e.ctx, e.other, storage.MetafieldFilter{KeyIn: []string{"app_only", "read"}}, true,
		storage.PageRequest{Page: 1, Limit: 10, WantTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 1 || len(pg.Items) != 1 || pg.Items[0].Key != "read" {
		t.Errorf("filtered list for the other token: total %d, items %v", pg.Total, pg.Items)
	}
}

// TestDB_CreateMetafields_Rules: the fields' limits, the customer, the
// uniqueness per owner, namespace and key, and a batch that writes nothing
// when any item fails.
func TestDB_CreateMetafields_Rules(t *testing.T) {
	t.Parallel()
	e := newMetafieldEnv(t)
	ok := storage.MetafieldInput{CustomerID: e.ann, Namespace: "erp", Key: "id", Value: "42", PermissionSet: storage.MetafieldRead}
	e.mustCreate(t, ok)
	cases := []struct {
		name        string
		in          storage.MetafieldInput
		code, field string
	}{
		{"ErrTakenKey", ok, storage.ECONFLICT, "input.1.key"},
		{"ErrNoCustomer", storage.MetafieldInput{CustomerID: 999, Namespace: "n", Key: "k", Value: "v", PermissionSet: storage.MetafieldRead}, storage.ENOTFOUND, "input.1.customerId"},
		{"ErrNamespaceTooLong", storage.MetafieldInput{CustomerID: e.ann, Namespace: strings.Repeat("n", 65), Key: "k", Value: "v", PermissionSet: storage.MetafieldRead}, storage.ETOOLONG, "input.1.namespace"},
		{"ErrEmptyValue", storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "k", PermissionSet: storage.MetafieldRead}, storage.EREQUIRED, "input.1.value"},
		{"ErrNoPermissionSet", storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "k", Value: "v"}, storage.EREQUIRED, "input.1.permissionSet"},
		{"ErrBadPermissionSet", storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "k", Value: "v", PermissionSet: "public"}, storage.EINVALID, "input.1.permissionSet"},
		{"ErrLongDescription", storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "k", Value: "v", Description: strings.Repeat("d", 256), PermissionSet: storage.MetafieldRead}, storage.ETOOLONG, "input.1.description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good := storage.MetafieldInput{CustomerID: e.bob, Namespace: "x", Key: tc.name, Value: "v", PermissionSet: storage.MetafieldRead}
			_, err := e.db.CreateMetafields(e.ctx, e.owner, []storage.MetafieldInput{good, tc.in})
			wantCode(t, err, tc.code, tc.field)
			if got := e.visible(t, e.owner, e.bob); len(got) != 0 {
				t.Errorf("the batch wrote %v", got)
			}
		})
	}
	t.Run("SameKeyOtherOwner", func(t *testing.T) {
		if _, err := e.db.CreateMetafields(e.ctx, e.other, []storage.MetafieldInput{ok}); err != nil {
			t.Fatalf("another token may use the same namespace and key: %v", err)
		}
	})
	t.Run("ErrShopper", func(t *testing.T) {
		_, err := e.db.CreateMetafields(e.ctx, storage.MetafieldViewer{ShopperID: e.ann}, []storage.MetafieldInput{ok})
		if storage.ErrorCode(err) != storage.EINVALID {
			t.Fatalf("err = %v, want INVALID", err)
		}
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		in := make([]storage.MetafieldInput, storage.MaxBatch+1)
		_, err := e.db.CreateMetafields(e.ctx, e.owner, in)
		wantCode(t, err, storage.ETOOMANYITEMS, "input")
	})
}

// TestDB_UpdateMetafields_Permissions: the owner changes everything;
// another token changes the value of a write metafield only, and cannot
// see an app_only one.
func TestDB_UpdateMetafields_Permissions(t *testing.T) {
	t.Parallel()
	e := newMetafieldEnv(t)
	ms := e.mustCreate(t,
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "private", Value: "1", PermissionSet: storage.MetafieldAppOnly},
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "readable", Value: "1", PermissionSet: storage.MetafieldRead},
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "shared", Value: "1", PermissionSet: storage.MetafieldWrite},
	)
	two := "2"
	newKey := "renamed"
	storagetest.SetNow(e.db, storagetest.Now.Add(60e9))
	cases := []struct {
		name        string
		v           storage.MetafieldViewer
		u           storage.MetafieldUpdate
		code, field string
	}{
		{"OwnerRenames", e.owner, storage.MetafieldUpdate{ID: ms[0].ID, Key: &newKey}, "", ""},
		{"OtherWritesShared", e.other, storage.MetafieldUpdate{ID: ms[2].ID, Value: &two}, "", ""},
		{"ErrOtherWritesReadable", e.other, storage.MetafieldUpdate{ID: ms[1].ID, Value: &two}, storage.EIMMUTABLE, "input.0.id"},
		{"ErrOtherRenamesShared", e.other, storage.MetafieldUpdate{ID: ms[2].ID, Key: &newKey}, storage.EIMMUTABLE, "input.0.id"},
		{"ErrOtherSeesNoPrivate", e.other, storage.MetafieldUpdate{ID: ms[0].ID, Value: &two}, storage.ENOTFOUND, "input.0.id"},
		{"ErrWrongCustomer", e.owner, storage.MetafieldUpdate{ID: ms[1].ID, CustomerID: &e.bob, Value: &two}, storage.ENOTFOUND, "input.0.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.db.UpdateMetafields(e.ctx, tc.v, []storage.MetafieldUpdate{tc.u})
			if tc.code != "" {
				wantCode(t, err, tc.code, tc.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !out[0].DateModified.After(out[0].DateCreated) {
				t.Errorf("dateModified %v did not move", out[0].DateModified)
			}
		})
	}
	t.Run("SwapKeys", func(t *testing.T) {
		a, b := "readable", "shared"
		if _, err := e.db.UpdateMetafields(e.ctx, e.owner, []storage.MetafieldUpdate{{ID: ms[1].ID, Key: &b}, {ID: ms[2].ID, Key: &a}}); err != nil {
			t.Fatalf("a batch may swap two keys: %v", err)
		}
	})
}

// TestDB_DeleteMetafields: unknown and invisible ids are ignored; another
// token's readable metafield is refused, and the batch deletes nothing;
// deleting a customer deletes its metafields.
func TestDB_DeleteMetafields(t *testing.T) {
	t.Parallel()
	e := newMetafieldEnv(t)
	ms := e.mustCreate(t,
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "a", Value: "1", PermissionSet: storage.MetafieldAppOnly},
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "b", Value: "1", PermissionSet: storage.MetafieldRead},
		storage.MetafieldInput{CustomerID: e.ann, Namespace: "n", Key: "c", Value: "1", PermissionSet: storage.MetafieldWriteSF},
		storage.MetafieldInput{CustomerID: e.bob, Namespace: "n", Key: "d", Value: "1", PermissionSet: storage.MetafieldRead},
	)
	_, err := e.db.DeleteMetafields(e.ctx, e.other, []int{ms[2].ID, ms[1].ID})
	wantCode(t, err, storage.EIMMUTABLE, "idIn")
	deleted, err := e.db.DeleteMetafields(e.ctx, e.other, []int{ms[0].ID, ms[2].ID, 999})
	if err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 1 || deleted[0] != ms[2].ID {
		t.Errorf("deleted %v, want [%d]", deleted, ms[2].ID)
	}
	if _, err := e.db.DeleteCustomers(e.ctx, []int{e.bob}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.FindMetafieldByID(e.ctx, e.owner, ms[3].ID); storage.ErrorCode(err) != storage.ENOTFOUND {
		t.Errorf("a deleted customer's metafield: err = %v, want NOT_FOUND", err)
	}
}
