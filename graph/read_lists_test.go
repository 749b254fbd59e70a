package graph_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// listFixture holds ids of the records the list filter tests look for.
type listFixture struct {
	customers                 []int
	addresses                 []int // two per customer, in order
	age, joined, nickname     int   // attribute ids
	color, gate               int   // form field ids (customer, address)
	ageValues, joinedValues   []int // attribute value ids per customer
	retail, wholesale, guests int   // group ids
	subscribers               []int
}

// seedLists writes three customers with addresses, attribute values and form
// field values, three groups and three subscribers.
func seedLists(t testing.TB, db *storage.DB) listFixture {
	t.Helper()
	ctx := context.Background()
	var f listFixture
	storagetest.SetNow(db, at("2021-01-07T20:28:16Z"))
	attrs, err := db.CreateAttributes(ctx, []storage.AttributeInput{{Name: "Age", Type: storage.AttributeNumber},
		{Name: "Date Joined", Type: storage.AttributeDate}})
	if err != nil {
		t.Fatal(err)
	}
	storagetest.SetNow(db, at("2021-03-01T00:00:00Z"))
	more, err := db.CreateAttributes(ctx, []storage.AttributeInput{{Name: "Nickname", Type: storage.AttributeString}})
	if err != nil {
		t.Fatal(err)
	}
	f.age, f.joined, f.nickname = attrs[0].ID, attrs[1].ID, more[0].ID
	fields, err := db.CreateFormFields(ctx, []storage.FormFieldInput{
		{Name: "color", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnCustomer},
		{Name: "gate", Type: storage.FormFieldPicklist, AppliesTo: storage.FormFieldOnAddress, Options: []string{"A", "B"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.color, f.gate = fields[0].ID, fields[1].ID
	for _, g := range []struct {
		in storage.GroupInput
		id *int
	}{{storage.GroupInput{Name: "Retail", IsDefault: true}, &f.retail}, {storage.GroupInput{Name: "Wholesale"}, &f.wholesale},
		{storage.GroupInput{Name: "Guests", IsGroupForGuests: true}, &f.guests}} {
		grp, err := db.CreateGroup(ctx, g.in)
		if err != nil {
			t.Fatal(err)
		}
		*g.id = grp.ID
	}
	for i, c := range []struct{ email, first, last, company string }{
		{"sherlock@x.io", "Sherlock", "Holmes", "bigcommerce"},
		{"james@x.io", "James", "Moriarty", "commongood"},
		{"john@x.io", "John", "Watson", ""},
	} {
		storagetest.SetNow(db, at("2021-04-01T00:00:00Z").AddDate(0, 0, i))
		addr := func(line string) storage.AddressInput {
			return storage.AddressInput{FirstName: c.first, LastName: c.last, Company: c.company, Address1: line, City: "London",
				PostalCode: "NW1 6XE", CountryCode: "GB", FormFields: []storage.FormFieldValueInput{{Name: "gate", Value: storage.StringValue("A")}}}
		}
		wholesale := f.wholesale
		in := storage.CustomerInput{Email: c.email, FirstName: c.first, LastName: c.last, Company: c.company,
			Addresses: []storage.AddressInput{addr("221B Baker Street"), addr("1 Other Street")},
			Attributes: []storage.AttributeValueInput{{AttributeID: f.age, Value: "3" + string(rune('0'+i))},
				{AttributeID: f.joined, Value: "2021-01-0" + string(rune('1'+i))}},
			FormFields: []storage.FormFieldValueInput{{Name: "color", Value: storage.StringValue("blue")}}}
		if i == 1 {
			in.CustomerGroupID = storage.Some(&wholesale)
		}
		made, err := db.CreateCustomers(ctx, []storage.CustomerInput{in})
		if err != nil {
			t.Fatal(err)
		}
		f.customers = append(f.customers, made[0].ID)
	}
	vals, err := db.FindAttributeValues(ctx, storage.CustomerAttributeValueFilter{}, storage.PageRequest{Page: 1, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals.Items {
		if v.AttributeID == f.age {
			f.ageValues = append(f.ageValues, v.ID)
		} else {
			f.joinedValues = append(f.joinedValues, v.ID)
		}
	}
	pg, err := db.FindAddresses(ctx, storage.CustomerAddressFilter{}, storage.PageRequest{Page: 1, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range pg.Items {
		f.addresses = append(f.addresses, a.ID)
	}
	for i, sub := range []storage.SubscriberInput{
		{Email: "s1@x.io", FirstName: "Jane", LastName: "Doe", Source: "storefront"},
		{Email: "s2@x.io", FirstName: "Jane", LastName: "Roe", Source: "order", OrderID: ptr(42)},
		{Email: "s3@x.io", FirstName: "Jim", LastName: "Doe", Source: "custom", ChannelID: ptr(2)},
	} {
		storagetest.SetNow(db, at("2022-02-01T10:00:00Z").AddDate(0, 0, i))
		s, err := db.CreateSubscriber(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		f.subscribers = append(f.subscribers, s.ID)
	}
	storagetest.SetNow(db, storagetest.Now)
	return f
}

// listIDs runs a list field with a filter and returns the ids of its nodes.
func listIDs(t *testing.T, s *testServer, field, filterType string, filter map[string]any) []int {
	t.Helper()
	var out map[string]struct{ Nodes []node }
	s.mustQuery(`query($f: `+filterType+`) { `+field+`(filter: $f) { nodes { id } } }`, map[string]any{"f": filter}, &out)
	return ids(out[field].Nodes)
}

func TestQuery_Lists(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedLists(t, s.db)
	c, a := f.customers, f.addresses
	tests := []struct {
		name, field, filterType string
		filter                  map[string]any
		want                    []int
	}{
		{"AddressesAll", "customerAddresses", "CustomerAddressFilter", nil, a},
		{"AddressesIDIn", "customerAddresses", "CustomerAddressFilter", map[string]any{"idIn": []int{a[1], a[4]}}, []int{a[1], a[4]}},
		// C39
		{"C39_AddressesCustomerIDIn", "customerAddresses", "CustomerAddressFilter",
			map[string]any{"customerIdIn": []int{c[0], c[2]}}, []int{a[0], a[1], a[4], a[5]}},
		{"AddressesCompanyIn", "customerAddresses", "CustomerAddressFilter",
			map[string]any{"companyIn": []string{"commongood"}}, []int{a[2], a[3]}},
		{"AddressesNameIn", "customerAddresses", "CustomerAddressFilter",
			map[string]any{"nameIn": []string{"john WATSON"}}, []int{a[4], a[5]}},
		{"AttributesName", "customerAttributes", "CustomerAttributeFilter", map[string]any{"name": "Age"}, []int{f.age}},
		// C46
		{"C46_AttributesNameLike", "customerAttributes", "CustomerAttributeFilter", map[string]any{"nameLike": "join"}, []int{f.joined}},
		{"AttributesType", "customerAttributes", "CustomerAttributeFilter", map[string]any{"type": "STRING"}, []int{f.nickname}},
		{"AttributesDateCreatedMillis", "customerAttributes", "CustomerAttributeFilter",
			map[string]any{"dateCreated": "1610051296000"}, []int{f.age, f.joined}},
		{"AttributesDateCreatedMin", "customerAttributes", "CustomerAttributeFilter",
			map[string]any{"dateCreatedMin": "2021-02-01"}, []int{f.nickname}},
		{"AttributesDateModifiedMax", "customerAttributes", "CustomerAttributeFilter",
			map[string]any{"dateModifiedMax": "2021-01-07"}, []int{f.age, f.joined}},
		{"AttributeValuesCustomerIDIn", "customerAttributeValues", "CustomerAttributeValueFilter",
			map[string]any{"customerIdIn": []int{c[1]}}, []int{f.ageValues[1], f.joinedValues[1]}},
		{"AttributeValuesAttributeIDIn", "customerAttributeValues", "CustomerAttributeValueFilter",
			map[string]any{"attributeIdIn": []int{f.age}}, f.ageValues},
		{"AttributeValuesName", "customerAttributeValues", "CustomerAttributeValueFilter",
			map[string]any{"name": "Date Joined"}, f.joinedValues},
		{"AttributeValuesDateCreated", "customerAttributeValues", "CustomerAttributeValueFilter",
			map[string]any{"dateCreated": "2021-04-02"}, []int{f.ageValues[1], f.joinedValues[1]}},
		{"AttributeValuesDateModifiedMin", "customerAttributeValues", "CustomerAttributeValueFilter",
			map[string]any{"dateModifiedMin": "2021-04-03T00:00:00Z"}, []int{f.ageValues[2], f.joinedValues[2]}},
		{"FormFieldsName", "customerFormFields", "CustomerFormFieldFilter", map[string]any{"name": "gate"}, []int{f.gate}},
		{"FormFieldsType", "customerFormFields", "CustomerFormFieldFilter", map[string]any{"type": "TEXT"}, []int{f.color}},
		{"FormFieldsAppliesTo", "customerFormFields", "CustomerFormFieldFilter", map[string]any{"appliesTo": "ADDRESS"}, []int{f.gate}},
		{"GroupsName", "customerGroups", "CustomerGroupFilter", map[string]any{"name": "Wholesale"}, []int{f.wholesale}},
		{"GroupsNameIsExact", "customerGroups", "CustomerGroupFilter", map[string]any{"name": "wholesale"}, []int{}},
		{"GroupsNameLike", "customerGroups", "CustomerGroupFilter", map[string]any{"nameLike": "SALE"}, []int{f.wholesale}},
		{"GroupsIsDefault", "customerGroups", "CustomerGroupFilter", map[string]any{"isDefault": true}, []int{f.retail}},
		{"GroupsIsGroupForGuests", "customerGroups", "CustomerGroupFilter", map[string]any{"isGroupForGuests": true}, []int{f.guests}},
		{"GroupsNotGuests", "customerGroups", "CustomerGroupFilter", map[string]any{"isGroupForGuests": false}, []int{f.retail, f.wholesale}},
		// C70: exact matches.
		{"C70_SubscribersFirstName", "subscribers", "SubscriberFilter", map[string]any{"firstName": "Jane"}, f.subscribers[:2]},
		{"SubscribersFirstNameIsExact", "subscribers", "SubscriberFilter", map[string]any{"firstName": "Jan"}, []int{}},
		{"SubscribersID", "subscribers", "SubscriberFilter", map[string]any{"id": f.subscribers[2]}, f.subscribers[2:]},
		{"SubscribersEmailIgnoresCase", "subscribers", "SubscriberFilter", map[string]any{"email": "S2@X.IO"}, f.subscribers[1:2]},
		{"SubscribersLastName", "subscribers", "SubscriberFilter", map[string]any{"lastName": "Doe"}, []int{f.subscribers[0], f.subscribers[2]}},
		{"SubscribersSource", "subscribers", "SubscriberFilter", map[string]any{"source": "custom"}, f.subscribers[2:]},
		{"SubscribersOrderID", "subscribers", "SubscriberFilter", map[string]any{"orderId": 42}, f.subscribers[1:2]},
		{"SubscribersDateCreated", "subscribers", "SubscriberFilter", map[string]any{"dateCreated": "2022-02-02"}, f.subscribers[1:2]},
		{"SubscribersDateModifiedTime", "subscribers", "SubscriberFilter",
			map[string]any{"dateModified": "2022-02-03T10:00:00Z"}, f.subscribers[2:]},
		{"SubscribersCombined", "subscribers", "SubscriberFilter", map[string]any{"firstName": "Jane", "lastName": "Doe"}, f.subscribers[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listIDs(t, s, tt.field, tt.filterType, tt.filter); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ids=%v, want %v", got, tt.want)
			}
		})
	}

	t.Run("FormFieldValues", func(t *testing.T) {
		type value struct {
			Name       string `json:"name"`
			Value      any    `json:"value"`
			CustomerID *int   `json:"customerId"`
			AddressID  *int   `json:"addressId"`
			Field      struct {
				Type string `json:"type"`
			} `json:"field"`
		}
		query := func(filter map[string]any) []value {
			var out struct {
				CustomerFormFieldValues struct{ Nodes []value } `json:"customerFormFieldValues"`
			}
			s.mustQuery(`query($f: CustomerFormFieldValueFilter) { customerFormFieldValues(filter: $f) {
				nodes { name value customerId addressId field { type } } } }`, map[string]any{"f": filter}, &out)
			return out.CustomerFormFieldValues.Nodes
		}
		if got := query(nil); len(got) != 9 {
			t.Fatalf("%d values, want 9 (3 customer, 6 address)", len(got))
		}
		got := query(map[string]any{"customerId": c[1]})
		if len(got) != 1 || got[0].Name != "color" || got[0].Value != "blue" || *got[0].CustomerID != c[1] || got[0].AddressID != nil {
			t.Fatalf("customer values=%+v", got)
		}
		got = query(map[string]any{"addressId": a[3]})
		if len(got) != 1 || got[0].Name != "gate" || got[0].Value != "A" || *got[0].AddressID != a[3] || got[0].Field.Type != "PICKLIST" {
			t.Fatalf("address values=%+v", got)
		}
		if got = query(map[string]any{"fieldName": "gate"}); len(got) != 6 {
			t.Fatalf("%d gate values, want 6", len(got))
		}
		if got = query(map[string]any{"fieldType": "TEXT"}); len(got) != 3 {
			t.Fatalf("%d text values, want 3", len(got))
		}
		if got = query(map[string]any{"fieldType": "TEXT", "addressId": a[0]}); len(got) != 0 {
			t.Fatalf("values=%+v, want none", got)
		}
	})
	t.Run("C55_UnknownFieldType", func(t *testing.T) {
		s.mustFail(`{ customerFormFieldValues(filter: {fieldType: SLIDER}) { nodes { name } } }`, nil, "GRAPHQL_VALIDATION_FAILED")
		s.mustFail(`query($f: CustomerFormFieldValueFilter) { customerFormFieldValues(filter: $f) { nodes { name } } }`,
			map[string]any{"f": map[string]any{"fieldType": "SLIDER"}}, "GRAPHQL_VALIDATION_FAILED")
	})
	t.Run("GroupCustomers", func(t *testing.T) {
		var out struct {
			CustomerGroups struct {
				Nodes []struct {
					ID        int `json:"id"`
					Customers struct {
						Nodes      []node `json:"nodes"`
						Pagination struct {
							Total int `json:"total"`
						} `json:"pagination"`
					} `json:"customers"`
				} `json:"nodes"`
			} `json:"customerGroups"`
		}
		// New customers joined the default group (Retail); James is Wholesale.
		s.mustQuery(`{ customerGroups { nodes { id customers(limit: 1, sort: LAST_NAME_DESC) { nodes { id } pagination { total } } } } }`,
			nil, &out)
		got := map[int][]int{}
		totals := map[int]int{}
		for _, g := range out.CustomerGroups.Nodes {
			got[g.ID] = ids(g.Customers.Nodes)
			totals[g.ID] = g.Customers.Pagination.Total
		}
		want := map[int][]int{f.retail: {c[2]}, f.wholesale: {c[1]}, f.guests: {}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("group customers=%v, want %v", got, want)
		}
		if wantTotals := map[int]int{f.retail: 2, f.wholesale: 1, f.guests: 0}; !reflect.DeepEqual(totals, wantTotals) {
			t.Fatalf("totals=%v, want %v", totals, wantTotals)
		}
		var one struct {
			CustomerGroup struct {
				Customers struct{ Nodes []node } `json:"customers"`
			} `json:"customerGroup"`
		}
		s.mustQuery(`query($id: Int!) { customerGroup(id: $id) { customers(filter: {nameLike: ["sherl"]}) { nodes { id } } } }`,
			map[string]any{"id": f.retail}, &one)
		if got, want := ids(one.CustomerGroup.Customers.Nodes), []int{c[0]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("filtered group customers=%v, want %v", got, want)
		}
	})
	t.Run("SingleLookups", func(t *testing.T) {
		var out struct {
			Customer        *node `json:"customer"`
			Missing         *node `json:"missing"`
			CustomerGroup   *node `json:"customerGroup"`
			MissingGroup    *node `json:"missingGroup"`
			Subscriber      *node `json:"subscriber"`
			MissingSub      *node `json:"missingSub"`
			CustomerConsent *struct {
				CustomerID int      `json:"customerId"`
				Allow      []string `json:"allow"`
				UpdatedAt  *string  `json:"updatedAt"`
			} `json:"customerConsent"`
			MissingConsent *struct{} `json:"missingConsent"`
		}
		s.mustQuery(`query($c: Int!, $g: Int!, $s: Int!) {
			customer(id: $c) { id } missing: customer(id: 999) { id }
			customerGroup(id: $g) { id } missingGroup: customerGroup(id: 999) { id }
			subscriber(id: $s) { id } missingSub: subscriber(id: 999) { id }
			customerConsent(customerId: $c) { customerId allow updatedAt } missingConsent: customerConsent(customerId: 999) { customerId }
		}`, map[string]any{"c": c[0], "g": f.guests, "s": f.subscribers[1]}, &out)
		if out.Customer == nil || out.Customer.ID != c[0] || out.Missing != nil || out.CustomerGroup == nil ||
			out.CustomerGroup.ID != f.guests || out.MissingGroup != nil || out.Subscriber == nil ||
			out.Subscriber.ID != f.subscribers[1] || out.MissingSub != nil || out.MissingConsent != nil {
			t.Fatalf("lookups=%+v", out)
		}
		if cc := out.CustomerConsent; cc == nil || cc.CustomerID != c[0] || len(cc.Allow) != 0 || cc.UpdatedAt != nil {
			t.Fatalf("consent=%+v, want empty and never updated", cc)
		}
	})
	t.Run("Settings", func(t *testing.T) {
		var out struct {
			CustomerSettings struct {
				CustomerGroupSettings struct {
					Guest   *int `json:"guestCustomerGroupId"`
					Default *int `json:"defaultCustomerGroupId"`
				} `json:"customerGroupSettings"`
			} `json:"customerSettings"`
			ChannelCustomerSettings struct {
				ChannelID         int   `json:"channelId"`
				AllowGlobalLogins *bool `json:"allowGlobalLogins"`
				PrivacySettings   struct {
					Ask    *bool   `json:"askShopperForTrackingConsent"`
					Policy *string `json:"policyUrl"`
				} `json:"privacySettings"`
			} `json:"channelCustomerSettings"`
		}
		s.mustQuery(`{ customerSettings { customerGroupSettings { guestCustomerGroupId defaultCustomerGroupId } }
			channelCustomerSettings(channelId: 2) { channelId allowGlobalLogins privacySettings { askShopperForTrackingConsent policyUrl } } }`,
			nil, &out)
		gs := out.CustomerSettings.CustomerGroupSettings
		if gs.Guest == nil || *gs.Guest != f.guests || gs.Default == nil || *gs.Default != f.retail {
			t.Fatalf("group settings=%+v, want the flagged groups", gs)
		}
		// C61: a channel with no overrides has every field null.
		cs := out.ChannelCustomerSettings
		if cs.ChannelID != 2 || cs.AllowGlobalLogins != nil || cs.PrivacySettings.Ask != nil || cs.PrivacySettings.Policy != nil {
			t.Fatalf("channel settings=%+v, want inherited", cs)
		}
		e := s.mustFail(`{ channelCustomerSettings(channelId: 0) { channelId } }`, nil, "BAD_USER_INPUT")
		if e.Extensions["field"] != "channelId" {
			t.Fatalf("field=%v, want channelId", e.Extensions["field"])
		}
	})
}

// TestQuery_InternalErrorsAreMasked closes the store under a running server:
// the client gets a bare message and a code, never SQL or paths.
func TestQuery_InternalErrorsAreMasked(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	seedLists(t, s.db)
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.do(`{ customers { nodes { id } } }`, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("errors=%+v, want one", r.Errors)
	}
	e := r.Errors[0]
	if e.Extensions["code"] != "INTERNAL_SERVER_ERROR" || e.Message != "Internal server error." {
		t.Fatalf("error=%+v, want a bare internal error", e)
	}
}
