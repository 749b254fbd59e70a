package storage_test

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/storefront/customers/internal/testsize"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// snapshot returns every record of the store's main lists as JSON.
func snapshot(t *testing.T, db *storage.DB) string {
	t.Helper()
	ctx := context.Background()
	var all []any
	var values []*storage.CustomerFormFieldValue
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	for page := 1; ; page++ {
		req := storage.PageRequest{Page: page, Limit: storage.MaxLimit}
		cs, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc, req)
		add(cs.Items, err)
		as, err := db.FindAddresses(ctx, storage.CustomerAddressFilter{}, req)
		add(as.Items, err)
		vs, err := db.FindAttributeValues(ctx, storage.CustomerAttributeValueFilter{}, req)
		add(vs.Items, err)
		fs, err := db.FindFormFieldValues(ctx, storage.CustomerFormFieldValueFilter{}, req)
		values = append(values, fs.Items...)
		add(nil, err)
		ss, err := db.FindSubscribers(ctx, storage.SubscriberFilter{}, req)
		add(ss.Items, err)
		if !cs.HasNext && !as.HasNext && !vs.HasNext && !fs.HasNext && !ss.HasNext {
			break
		}
	}
	// Form field values have no public id: compare them by owner and name,
	// not in the order of their row ids.
	for _, v := range values {
		v.ID = 0
	}
	slices.SortFunc(values, func(a, b *storage.CustomerFormFieldValue) int {
		return cmp.Or(cmp.Compare(deref(a.CustomerID), deref(b.CustomerID)), cmp.Compare(deref(a.AddressID), deref(b.AddressID)),
			cmp.Compare(a.Name, b.Name))
	})
	add(values, nil)
	gs, err := db.FindGroups(ctx, storage.CustomerGroupFilter{}, storage.PageRequest{Page: 1, Limit: storage.MaxLimit})
	add(gs.Items, err)
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDB_SeedDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.MustOpenDB(t)
	if err := db.SeedDemo(ctx, storage.DemoCustomers); err != nil {
		t.Fatal(err)
	}

	t.Run("EveryFieldHasData", func(t *testing.T) {
		count := func(total func() (int, error)) int {
			n, err := total()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		all := storage.PageRequest{Page: 1, Limit: 1, WantTotal: true}
		for name, n := range map[string]int{
			"customers": count(func() (int, error) {
				p, err := db.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc, all)
				return p.Total, err
			}),
			"addresses": count(func() (int, error) {
				p, err := db.FindAddresses(ctx, storage.CustomerAddressFilter{}, all)
				return p.Total, err
			}),
			"attribute values": count(func() (int, error) {
				p, err := db.FindAttributeValues(ctx, storage.CustomerAttributeValueFilter{}, all)
				return p.Total, err
			}),
			"form field values": count(func() (int, error) {
				p, err := db.FindFormFieldValues(ctx, storage.CustomerFormFieldValueFilter{}, all)
				return p.Total, err
			}),
			"subscribers": count(func() (int, error) {
				p, err := db.FindSubscribers(ctx, storage.SubscriberFilter{}, all)
				return p.Total, err
			}),
			"groups": count(func() (int, error) {
				p, err := db.FindGroups(ctx, storage.CustomerGroupFilter{}, all)
				return p.Total, err
			}),
		} {
			min := map[string]int{"customers": 1000, "groups": 3}[name]
			if min == 0 {
				min = 100
			}
			if n < min {
				t.Errorf("%d %s, want at least %d", n, name, min)
			}
		}
		credit, err := db.FindStoreCreditByCustomerIDs(ctx, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
		if err != nil || len(credit) == 0 {
			t.Errorf("no store credit among the first customers (%v)", err)
		}
		consent, err := db.FindConsentByCustomerIDs(ctx, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
		if err != nil || len(consent) == 0 {
			t.Errorf("no consent among the first customers (%v)", err)
		}
		settings, err := db.FindSettings(ctx)
		if err != nil || settings.CustomerGroupSettings.DefaultCustomerGroupID == nil || settings.PrivacySettings.PolicyURL == "" {
			t.Errorf("settings=%+v (%v)", settings, err)
		}
	})

	t.Run("Deterministic", func(t *testing.T) {
		// At full size with -tags slow (CI); else two seeds of 300
		// customers: this process's template (storagetest.MustOpenDemo)
		// and one more.
		first, n := db, storage.DemoCustomers
		if !testsize.Slow {
			n = 300
			first = storagetest.MustOpenDemo(t, n)
		}
		other := storagetest.MustOpenDB(t)
		if err := other.SeedDemo(ctx, n); err != nil {
			t.Fatal(err)
		}
		if snapshot(t, first) != snapshot(t, other) {
			t.Fatal("two demo seeds differ")
		}
	})

	t.Run("OnlyIntoAnEmptyStore", func(t *testing.T) {
		if err := db.SeedDemo(ctx, 10); storage.ErrorCode(err) != storage.ECONFLICT {
			t.Fatalf("second seed: %v, want CONFLICT", err)
		}
	})
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
