package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

// relationFixture writes n customers with every relation: two addresses
// (each with a form field value), two attribute values, a form field value,
// store credit, consent and a group.
func relationFixture(t testing.TB, db *storage.DB, n int) {
	t.Helper()
	ctx := context.Background()
	grp, err := db.CreateGroup(ctx, storage.GroupInput{Name: "Members"})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := db.CreateAttributes(ctx, []storage.AttributeInput{{Name: "Age", Type: storage.AttributeNumber},
		{Name: "Joined", Type: storage.AttributeDate}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateFormFields(ctx, []storage.FormFieldInput{
		{Name: "color", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnCustomer},
		{Name: "gate", Type: storage.FormFieldText, AppliesTo: storage.FormFieldOnAddress}}); err != nil {
		t.Fatal(err)
	}
	group := grp.ID
	for start := 0; start < n; start += storage.MaxBatch {
		var batch []storage.CustomerInput
		for i := start; i < min(n, start+storage.MaxBatch); i++ {
			addr := func(street string) storage.AddressInput {
				return storage.AddressInput{FirstName: "R", LastName: fmt.Sprint(i), Address1: street, City: "Austin",
					StateOrProvince: "Texas", PostalCode: "78701", CountryCode: "US",
					FormFields: []storage.FormFieldValueInput{{Name: "gate", Value: storage.StringValue("#1")}}}
			}
			batch = append(batch, storage.CustomerInput{
				Email: fmt.Sprintf("r%d@rel.example", i), FirstName: "R", LastName: fmt.Sprint(i),
				CustomerGroupID: storage.Some(&group),
				Addresses:       []storage.AddressInput{addr("1 Main St"), addr("2 Side St")},
				Attributes: []storage.AttributeValueInput{{AttributeID: attrs[0].ID, Value: "42"},
					{AttributeID: attrs[1].ID, Value: "2020-01-01"}},
				FormFields:         []storage.FormFieldValueInput{{Name: "color", Value: storage.StringValue("blue")}},
				StoreCreditAmounts: []*storage.StoreCreditAmount{{Amount: 10}},
			})
		}
		made, err := db.CreateCustomers(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range made {
			if _, err := db.UpdateConsent(ctx, storage.ConsentInput{CustomerID: c.ID,
				Allow: []storage.ConsentCategory{storage.ConsentEssential}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// everyRelation selects every relation of a customer, nested.
const everyRelation = `query($limit: Int) { customers(limit: $limit) {
	nodes {
		id email addressCount attributeCount authentication { forcePasswordReset }
		addresses { id country formFields { name value field { name type } } customer { id email } }
		attributes { id value attribute { id name type } customer { id } }
		formFields { name value field { id type } }
		storeCredit { amount }
		consent { allow deny updatedAt }
		group { id name customers(limit: 3) { nodes { id addresses { id } } pagination { total } } }
	}
	edges { node { id group { name } } }
} }`

// TestQuery_StatementsDoNotGrowWithThePage is the N+1 guard: a page with
// every relation selected runs the same, small number of statements for 5
// customers as for 250.
func TestQuery_StatementsDoNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	relationFixture(t, s.db, 250)
	counts := map[int]int64{}
	for _, limit := range []int{5, 250, 5, 250} {
		var out struct {
			Customers struct {
				Nodes []struct {
					ID             int               `json:"id"`
					AddressCount   int               `json:"addressCount"`
					AttributeCount int               `json:"attributeCount"`
					Addresses      []json.RawMessage `json:"addresses"`
					Attributes     []json.RawMessage `json:"attributes"`
				} `json:"nodes"`
			} `json:"customers"`
		}
		s.mustQuery(everyRelation, map[string]any{"limit": limit}, &out)
		if got := len(out.Customers.Nodes); got != limit {
			t.Fatalf("%d customers, want %d", got, limit)
		}
		for _, c := range out.Customers.Nodes {
			if c.AddressCount != 2 || len(c.Addresses) != 2 || c.AttributeCount != 2 || len(c.Attributes) != 2 {
				t.Fatalf("customer %+v lacks its relations", c)
			}
		}
		n := s.statements()
		if prev, ok := counts[limit]; ok && prev != n {
			t.Fatalf("limit %d ran %d statements, then %d: not deterministic", limit, prev, n)
		}
		counts[limit] = n
	}
	if counts[5] != counts[250] {
		t.Fatalf("5 customers ran %d statements, 250 ran %d; want the same", counts[5], counts[250])
	}
	// One statement for the page, then one per relation and level: address
	// and attribute counts, addresses, their form field values and those
	// fields' definitions, the addresses' customers, attribute values and
	// their definitions (their customers are the ones just loaded), the
	// customers' form field values and definitions, store credit, consent,
	// groups, and the groups' customer pages with their count (those
	// customers' addresses are loaded already).
	if got, want := counts[5], int64(16); got != want {
		t.Fatalf("ran %d statements, want %d", got, want)
	}
}

// TestQuery_NestedRelations checks what the nested fields hold: V3's
// include=addresses, formfields, attributes and storecredit (C31-C33).
func TestQuery_NestedRelations(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	relationFixture(t, s.db, 2)
	var out struct {
		Customers struct {
			Nodes []struct {
				ID        int `json:"id"`
				Addresses []struct {
					CustomerID int    `json:"customerId"`
					Country    string `json:"country"`
					FormFields []struct {
						Name  string `json:"name"`
						Value any    `json:"value"`
					} `json:"formFields"`
					Customer struct{ ID int } `json:"customer"`
				} `json:"addresses"`
				Attributes []struct {
					CustomerID int    `json:"customerId"`
					Value      string `json:"value"`
					Attribute  struct {
						Name string `json:"name"`
						Type string `json:"type"`
					} `json:"attribute"`
				} `json:"attributes"`
				FormFields []struct {
					Name  string `json:"name"`
					Value any    `json:"value"`
				} `json:"formFields"`
				StoreCredit []struct{ Amount float64 } `json:"storeCredit"`
				Consent     struct{ Allow []string }   `json:"consent"`
				Group       struct{ Name string }      `json:"group"`
			} `json:"nodes"`
		} `json:"customers"`
	}
	s.mustQuery(`{ customers { nodes { id
		addresses { customerId country formFields { name value } customer { id } }
		attributes { customerId value attribute { name type } }
		formFields { name value } storeCredit { amount } consent { allow } group { name } } } }`, nil, &out)
	if len(out.Customers.Nodes) != 2 {
		t.Fatalf("%d customers, want 2", len(out.Customers.Nodes))
	}
	for _, c := range out.Customers.Nodes {
		// C32: addresses with their form fields, and the customer's.
		if len(c.Addresses) != 2 || c.Addresses[0].Country != "United States" || c.Addresses[0].CustomerID != c.ID ||
			c.Addresses[0].Customer.ID != c.ID || len(c.Addresses[0].FormFields) != 1 || c.Addresses[0].FormFields[0].Value != "#1" {
			t.Fatalf("addresses=%+v", c.Addresses)
		}
		if len(c.FormFields) != 1 || c.FormFields[0].Name != "color" || c.FormFields[0].Value != "blue" {
			t.Fatalf("formFields=%+v", c.FormFields)
		}
		// C33: attribute values with their definitions.
		if len(c.Attributes) != 2 || c.Attributes[0].Value != "42" || c.Attributes[0].Attribute.Name != "Age" ||
			c.Attributes[0].Attribute.Type != "NUMBER" || c.Attributes[0].CustomerID != c.ID {
			t.Fatalf("attributes=%+v", c.Attributes)
		}
		if len(c.StoreCredit) != 1 || c.StoreCredit[0].Amount != 10 || len(c.Consent.Allow) != 1 || c.Group.Name != "Members" {
			t.Fatalf("customer=%+v", c)
		}
	}
	// C31: nothing is fetched that is not selected: a plain page is one
	// statement, and the response holds only what was asked.
	r := s.do(`{ customers { nodes { id addressCount attributeCount } } }`, nil)
	if got := string(r.Data); strings.Contains(got, "addresses") || strings.Contains(got, "storeCredit") {
		t.Fatalf("data=%s, want no relations", got)
	}
	s.mustQuery(`{ customers { nodes { id email } } }`, nil, nil)
	if got := s.statements(); got != 1 {
		t.Fatalf("a plain page ran %d statements, want 1", got)
	}
}
