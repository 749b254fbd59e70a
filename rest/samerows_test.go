package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// seedMany writes a store with enough variety for every filter: customers
// created and changed over several days, in groups, with addresses,
// attribute and form field values; subscribers; metafields.
func (e *env) seedMany() {
	e.t.Helper()
	ctx := context.Background()
	fail := func(err error) {
		if err != nil {
			e.t.Fatalf("seed: %v", err)
		}
	}
	groups := []int{}
	for _, name := range []string{"Retail", "Wholesale", "VIP"} {
		g, err := e.db.CreateGroup(ctx, storage.GroupInput{Name: name, IsDefault: name == "Retail", IsGroupForGuests: name == "VIP"})
		fail(err)
		groups = append(groups, g.ID)
	}
	attrs, err := e.db.CreateAttributes(ctx, []storage.AttributeInput{{Name: "Age", Type: storage.AttributeNumber},
		{Name: "Joined", Type: storage.AttributeDate}, {Name: "Nickname", Type: storage.AttributeString}})
	fail(err)
	_, err = e.db.CreateFormFields(ctx, []storage.FormFieldInput{
		{Name: "hobby", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnCustomer},
		{Name: "size", Type: storage.FormFieldNumbers, AppliesTo: storage.FormFieldOnCustomer},
		{Name: "gate", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnAddress},
	})
	fail(err)
	first := []string{"Ann", "Anders", "Bea", "Hannah", "Ivan", "Jana", "Zoë", "Åsa"}
	last := []string{"Lee", "Moriarty", "Holmes", "Anand", "Brown", "Ångström"}
	companies := []string{"", "Acme", "Globex", "Initech"}
	for i := range 48 {
		storagetest.SetNow(e.db, time.Date(2025, 1, 1+i%12, i%24, 0, 0, 0, time.UTC))
		in := storage.CustomerInput{Email: fmt.Sprintf("c%02d@example.com", i), FirstName: first[i%len(first)],
			LastName: last[i%len(last)], Company: companies[i%len(companies)], Phone: fmt.Sprintf("555-%04d", i%5),
			RegistrationIPAddress: fmt.Sprintf("10.0.0.%d", i%3), CustomerGroupID: storage.Some(&groups[i%3])}
		if i%4 != 0 {
			in.Addresses = []storage.AddressInput{{FirstName: first[(i+1)%len(first)], LastName: last[i%len(last)],
				Company: companies[(i+1)%len(companies)], Address1: fmt.Sprintf("%d Main", i), City: "Paris", CountryCode: "FR",
				PostalCode: "75001", FormFields: []storage.FormFieldValueInput{{Name: "gate", Value: storage.StringValue(fmt.Sprint(i % 2))}}}}
		}
		if i%3 == 0 {
			in.Attributes = []storage.AttributeValueInput{{AttributeID: attrs[0].ID, Value: fmt.Sprint(20 + i)}}
		}
		if i%2 == 0 {
			in.FormFields = []storage.FormFieldValueInput{{Name: "hobby", Value: storage.StringValue("chess")}}
		}
		cs, err := e.db.CreateCustomers(ctx, []storage.CustomerInput{in})
		fail(err)
		if i%5 == 0 {
			storagetest.SetNow(e.db, time.Date(2025, 3, 1+i%7, 12, 0, 0, 0, time.UTC))
			company := "Umbrella"
			_, err := e.db.UpdateCustomers(ctx, []storage.CustomerUpdate{{ID: cs[0].ID, Company: &company}})
			fail(err)
			_, err = e.db.UpsertAttributeValues(ctx, []storage.AttributeValueUpsert{{CustomerID: cs[0].ID, AttributeID: attrs[2].ID, Value: "x"}})
			fail(err)
		}
		if i%6 == 0 {
			order := 100 + i
			_, err := e.db.CreateSubscriber(ctx, storage.SubscriberInput{Email: fmt.Sprintf("s%02d@example.com", i), FirstName: first[i%len(first)],
				LastName: last[(i/6)%len(last)], Source: []string{"storefront", "order"}[(i/6)%2], OrderID: &order})
			fail(err)
		}
		if i%4 == 1 {
			_, err := e.db.CreateMetafields(ctx, storage.MetafieldViewer{TokenID: e.writeTokenID}, []storage.MetafieldInput{
				{CustomerID: cs[0].ID, Namespace: []string{"erp", "ui"}[(i/4)%2], Key: []string{"id", "theme", "tier"}[i%3], Value: "v",
					PermissionSet: storage.MetafieldRead}})
			fail(err)
		}
	}
}

// sameRowsCase is one read made through both APIs: the REST path and its
// query, and the GraphQL list field with the same filter.
type sameRowsCase struct {
	rest    string
	field   string // GraphQL list field
	filter  string // GraphQL filter input type
	args    map[string]any
	keyREST func(map[string]any) string // identity of a REST item; nil: its id
	keyGQL  string                      // selection of a node identifying it; "": id
}

// TestSameRowsAsGraphQL: every V3 filter (and the V2 ones with a V3 twin)
// gives the same rows in the same order through REST and through GraphQL.
func TestSameRowsAsGraphQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedMany()
	f := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	c := func(rest string, filter map[string]any, extra ...any) sameRowsCase {
		args := f(extra...)
		args["filter"] = filter
		return sameRowsCase{rest: rest, field: "customers", filter: "CustomerFilter", args: args}
	}
	formKey := func(m map[string]any) string {
		return fmt.Sprintf("%v/%v/%v", m["name"], m["customer_id"], m["address_id"])
	}
	cases := []sameRowsCase{
		c("/v3/customers?limit=250", f()),
		c("/v3/customers?id:in=3,1,9", f("idIn", []int{3, 1, 9})),
		c("/v3/customers?company:in=Acme,Umbrella", f("companyIn", []string{"Acme", "Umbrella"})),
		c("/v3/customers?customer_group_id:in=2,3", f("customerGroupIdIn", []int{2, 3})),
		c("/v3/customers?date_created=2025-01-05", f("dateCreated", "2025-01-05")),
		c("/v3/customers?date_created:min=2025-01-04T10:00:00&date_created:max=2025-01-09", f("dateCreatedMin", "2025-01-04T10:00:00", "dateCreatedMax", "2025-01-09")),
		c("/v3/customers?date_modified=2025-03-03", f("dateModified", "2025-03-03")),
		c("/v3/customers?date_modified:min=1740787200&date_modified:max=2025-03-05", f("dateModifiedMin", 1740787200, "dateModifiedMax", "2025-03-05")),
		c("/v3/customers?email:in=C01@example.com,c02@example.com", f("emailIn", []string{"C01@example.com", "c02@example.com"})),
		c("/v3/customers?name:in=ann+lee,Åsa%20Ångström", f("nameIn", []string{"ann lee", "Åsa Ångström"})),
		c("/v3/customers?name:like=an,ÅNG", f("nameLike", []string{"an", "ÅNG"})),
		c("/v3/customers?phone:in=555-0001,555-0003", f("phoneIn", []string{"555-0001", "555-0003"})),
		c("/v3/customers?registration_ip_address:in=10.0.0.2", f("registrationIpAddressIn", []string{"10.0.0.2"})),
		c("/v3/customers?sort=date_created:desc&limit=7&page=3", f(), "sort", "DATE_CREATED_DESC", "limit", 7, "page", 3),
		c("/v3/customers?sort=last_name:asc&limit=250", f(), "sort", "LAST_NAME_ASC", "limit", 250),
		c("/v3/customers?sort=last_name:desc&name:like=a&limit=250", f("nameLike", []string{"a"}), "sort", "LAST_NAME_DESC", "limit", 250),
		c("/v3/customers?sort=date_modified:asc&limit=250", f(), "sort", "DATE_MODIFIED_ASC", "limit", 250),
		c("/v3/customers?sort=date_modified:desc&company:in=Acme&limit=5&page=2", f("companyIn", []string{"Acme"}), "sort", "DATE_MODIFIED_DESC", "limit", 5, "page", 2),
		{rest: "/v3/customers/addresses?limit=250", field: "customerAddresses", filter: "CustomerAddressFilter", args: f("limit", 250)},
		{rest: "/v3/customers/addresses?id:in=2,5&customer_id:in=2,3,6", field: "customerAddresses", filter: "CustomerAddressFilter",
			args: f("filter", f("idIn", []int{2, 5}, "customerIdIn", []int{2, 3, 6}))},
		{rest: "/v3/customers/addresses?company:in=Globex&name:in=bea+moriarty,hannah%20holmes", field: "customerAddresses", filter: "CustomerAddressFilter",
			args: f("filter", f("companyIn", []string{"Globex"}, "nameIn", []string{"bea moriarty", "hannah holmes"}))},
		{rest: "/v3/customers/attributes?name:like=a&type=number", field: "customerAttributes", filter: "CustomerAttributeFilter",
			args: f("filter", f("nameLike", "a", "type", "NUMBER"))},
		{rest: "/v3/customers/attributes?name=Joined&date_created:max=2030-01-01", field: "customerAttributes", filter: "CustomerAttributeFilter",
			args: f("filter", f("name", "Joined", "dateCreatedMax", "2030-01-01"))},
		{rest: "/v3/customers/attribute-values?customer_id:in=1,4,6,16&attribute_id:in=1,3", field: "customerAttributeValues", filter: "CustomerAttributeValueFilter",
			args: f("filter", f("customerIdIn", []int{1, 4, 6, 16}, "attributeIdIn", []int{1, 3}))},
		{rest: "/v3/customers/attribute-values?name=Nickname&date_modified:min=2025-03-02&limit=3&page=2", field: "customerAttributeValues", filter: "CustomerAttributeValueFilter",
			args: f("filter", f("name", "Nickname", "dateModifiedMin", "2025-03-02"), "limit", 3, "page", 2)},
		{rest: "/v3/customers/attribute-values?date_created=2025-01-07", field: "customerAttributeValues", filter: "CustomerAttributeValueFilter",
			args: f("filter", f("dateCreated", "2025-01-07"))},
		{rest: "/v3/customers/form-field-values?customer_id=3&limit=250", field: "customerFormFieldValues", filter: "CustomerFormFieldValueFilter",
			args: f("filter", f("customerId", 3), "limit", 250), keyREST: formKey, keyGQL: "name customerId addressId"},
		{rest: "/v3/customers/form-field-values?field_name=gate&field_type=text&limit=250", field: "customerFormFieldValues", filter: "CustomerFormFieldValueFilter",
			args: f("filter", f("fieldName", "gate", "fieldType", "TEXT"), "limit", 250), keyREST: formKey, keyGQL: "name customerId addressId"},
		{rest: "/v3/customers/form-field-values?address_id=6", field: "customerFormFieldValues", filter: "CustomerFormFieldValueFilter",
			args: f("filter", f("addressId", 6)), keyREST: formKey, keyGQL: "name customerId addressId"},
		{rest: "/v3/customers/subscribers?source=order&first_name=Bea", field: "subscribers", filter: "SubscriberFilter",
			args: f("filter", f("source", "order", "firstName", "Bea"))},
		{rest: "/v3/customers/subscribers?email=S12@example.com", field: "subscribers", filter: "SubscriberFilter",
			args: f("filter", f("email", "S12@example.com"))},
		{rest: "/v3/customers/subscribers?last_name=Holmes&order_id=112", field: "subscribers", filter: "SubscriberFilter",
			args: f("filter", f("lastName", "Holmes", "orderId", 112))},
		{rest: "/v3/customers/subscribers?id:in=1,2,4&date_created:min=2025-01-06&date_modified:max=2025-01-12", field: "subscribers", filter: "SubscriberFilter",
			args: f("filter", f("idIn", []int{1, 2, 4}, "dateCreatedMin", "2025-01-06", "dateModifiedMax", "2025-01-12"))},
		{rest: "/v3/customers/subscribers?id=2&date_created=2025-01-07", field: "subscribers", filter: "SubscriberFilter",
			args: f("filter", f("id", 2, "dateCreated", "2025-01-07"))},
		{rest: "/v3/customers/metafields?namespace=erp&key:in=id,tier&direction=desc", field: "customerMetafields", filter: "CustomerMetafieldFilter",
			args: f("filter", f("namespace", "erp", "keyIn", []string{"id", "tier"}), "sort", "ID_DESC")},
		{rest: "/v3/customers/metafields?key=theme&namespace:in=ui&date_created:min=2025-01-02&date_modified:max=2025-01-11", field: "customerMetafields", filter: "CustomerMetafieldFilter",
			args: f("filter", f("key", "theme", "namespaceIn", []string{"ui"}, "dateCreatedMin", "2025-01-02", "dateModifiedMax", "2025-01-11"))},
		{rest: "/v3/customers/10/metafields", field: "customerMetafields", filter: "CustomerMetafieldFilter",
			args: f("filter", f("customerIdIn", []int{10}))},
		{rest: "/v2/customers?company=Acme&customer_group_id=2", field: "customers", filter: "CustomerFilter",
			args: f("filter", f("companyIn", []string{"Acme"}, "customerGroupIdIn", []int{2}))},
		{rest: "/v2/customers?email=c07@example.com&phone=555-0002", field: "customers", filter: "CustomerFilter",
			args: f("filter", f("emailIn", []string{"c07@example.com"}, "phoneIn", []string{"555-0002"}))},
		{rest: "/v2/customers?min_date_created=2025-01-03&max_date_modified=Wed,%2005%20Mar%202025%2000:00:00%20%2B0000&limit=250", field: "customers", filter: "CustomerFilter",
			args: f("filter", f("dateCreatedMin", "2025-01-03", "dateModifiedMax", "2025-03-05T00:00:00Z"), "limit", 250)},
		{rest: "/v2/customers?limit=5&page=3", field: "customers", filter: "CustomerFilter", args: f("limit", 5, "page", 3)},
		{rest: "/v2/customer_groups?name:like=ale&is_default=false", field: "customerGroups", filter: "CustomerGroupFilter",
			args: f("filter", f("nameLike", "ale", "isDefault", false))},
		{rest: "/v2/customer_groups?name=VIP&is_group_for_guests=true", field: "customerGroups", filter: "CustomerGroupFilter",
			args: f("filter", f("name", "VIP", "isGroupForGuests", true))},
	}
	for _, tc := range cases {
		t.Run(tc.rest, func(t *testing.T) {
			r := e.must("GET", tc.rest, nil, 200)
			var items []map[string]any
			if strings.HasPrefix(tc.rest, "/v2/") {
				r.decode(t, &items)
			} else {
				var out struct {
					Data []map[string]any `json:"data"`
				}
				r.decode(t, &out)
				items = out.Data
			}
			var got []string
			for _, it := range items {
				if tc.keyREST != nil {
					got = append(got, tc.keyREST(it))
				} else {
					got = append(got, fmt.Sprint(it["id"]))
				}
			}
			sel := tc.keyGQL
			if sel == "" {
				sel = "id"
			}
			var params, call []string
			vars := map[string]any{}
			types := map[string]string{"filter": tc.filter, "sort": map[string]string{"customers": "CustomerSort",
				"customerMetafields": "MetafieldSort"}[tc.field], "limit": "Int", "page": "Int"}
			for k, v := range tc.args {
				params = append(params, "$"+k+": "+types[k])
				call = append(call, k+": $"+k)
				vars[k] = v
			}
			slices.Sort(params)
			q := "query(" + strings.Join(params, ", ") + ") { " + tc.field + "(" + strings.Join(call, ", ") + ") { nodes { " + sel + " } } }"
			if len(params) == 0 {
				q = "{ " + tc.field + " { nodes { " + sel + " } } }"
			}
			var data map[string]struct {
				Nodes []map[string]any `json:"nodes"`
			}
			e.graphql(q, vars, &data)
			var want []string
			for _, n := range data[tc.field].Nodes {
				if tc.keyREST != nil {
					want = append(want, fmt.Sprintf("%v/%v/%v", n["name"], orNil(n["customerId"]), orNil(n["addressId"])))
				} else {
					want = append(want, fmt.Sprint(n["id"]))
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("REST rows %v, GraphQL rows %v", got, want)
			}
			if len(want) == 0 {
				t.Errorf("the case matches no rows: it proves nothing")
			}
		})
	}
}

// orNil writes an absent REST owner id as GraphQL's null.
func orNil(v any) any {
	if v == nil {
		return "<nil>"
	}
	if f, ok := v.(float64); ok {
		return json.Number(fmt.Sprint(f))
	}
	return v
}
