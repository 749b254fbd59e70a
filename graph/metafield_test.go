package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

const metafieldFields = `id customerId namespace key value description permissionSet dateCreated dateModified`

type metafieldNode struct {
	ID            int    `json:"id"`
	CustomerID    int    `json:"customerId"`
	Namespace     string `json:"namespace"`
	Key           string `json:"key"`
	Value         string `json:"value"`
	PermissionSet string `json:"permissionSet"`
}

func metafieldKeys(ms []metafieldNode) string {
	keys := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = m.Key
	}
	return strings.Join(keys, ",")
}

// TestMutation_CustomerMetafields: the batch mutations write, change and
// delete metafields with userErrors in the house style, and the root list
// filters them.
func TestMutation_CustomerMetafields(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedAccess(t, s)
	var created struct {
		P struct {
			Metafields []metafieldNode `json:"metafields"`
			UserErrors []userError     `json:"userErrors"`
		} `json:"createCustomerMetafields"`
	}
	s.mustQuery(`mutation($in: [CustomerMetafieldCreateInput!]!) { createCustomerMetafields(input: $in) {
		metafields { `+metafieldFields+` } userErrors { code message field index } } }`, map[string]any{"in": []any{
		map[string]any{"customerId": f.customerA, "namespace": "erp", "key": "id", "value": "A-1", "permissionSet": "READ"},
		map[string]any{"customerId": f.customerA, "namespace": "ui", "key": "theme", "value": "dark", "permissionSet": "READ_AND_SF_ACCESS"},
		map[string]any{"customerId": f.customerB, "namespace": "erp", "key": "id", "value": "B-1", "permissionSet": "APP_ONLY"},
	}}, &created)
	if len(created.P.UserErrors) > 0 || len(created.P.Metafields) != 3 {
		t.Fatalf("create: %+v", created.P)
	}

	var dup struct {
		P struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"createCustomerMetafields"`
	}
	s.mustQuery(`mutation($in: [CustomerMetafieldCreateInput!]!) { createCustomerMetafields(input: $in) { userErrors { code field index } } }`,
		map[string]any{"in": []any{map[string]any{"customerId": f.customerA, "namespace": "erp", "key": "id", "value": "x", "permissionSet": "READ"}}}, &dup)
	if len(dup.P.UserErrors) != 1 || dup.P.UserErrors[0].Code != "CONFLICT" || dup.P.UserErrors[0].path() != "input.0.key" {
		t.Fatalf("duplicate key: %+v", dup.P.UserErrors)
	}

	var updated struct {
		P struct {
			Metafields []metafieldNode `json:"metafields"`
			UserErrors []userError     `json:"userErrors"`
		} `json:"updateCustomerMetafields"`
	}
	s.mustQuery(`mutation($in: [CustomerMetafieldUpdateInput!]!) { updateCustomerMetafields(input: $in) { metafields { `+metafieldFields+` } userErrors { code field } } }`,
		map[string]any{"in": []any{map[string]any{"id": created.P.Metafields[0].ID, "value": "A-2"}}}, &updated)
	if len(updated.P.Metafields) != 1 || updated.P.Metafields[0].Value != "A-2" {
		t.Fatalf("update: %+v", updated.P)
	}

	var list struct {
		L struct {
			Nodes      []metafieldNode     `json:"nodes"`
			Pagination struct{ Total int } `json:"pagination"`
		} `json:"customerMetafields"`
	}
	s.mustQuery(`query($f: CustomerMetafieldFilter) { customerMetafields(filter: $f, sort: ID_DESC) { nodes { `+metafieldFields+` } pagination { total } } }`,
		map[string]any{"f": map[string]any{"namespace": "erp"}}, &list)
	if got := list.L.Nodes; len(got) != 2 || got[0].Value != "B-1" || list.L.Pagination.Total != 2 {
		t.Fatalf("list by namespace, newest first: %+v", list.L)
	}

	var del struct {
		D struct {
			DeletedIds []int `json:"deletedIds"`
		} `json:"deleteCustomerMetafields"`
	}
	s.mustQuery(`mutation($ids: [Int!]!) { deleteCustomerMetafields(idIn: $ids) { deletedIds } }`,
		map[string]any{"ids": []int{created.P.Metafields[1].ID, 9999}}, &del)
	if len(del.D.DeletedIds) != 1 || del.D.DeletedIds[0] != created.P.Metafields[1].ID {
		t.Fatalf("delete: %+v", del.D)
	}
}

// TestQuery_CustomerMetafields_VisibilityAndBatching: a page of customers
// reads its metafields in one statement; another token does not see an
// app_only metafield; the signed-in shopper sees its storefront ones only,
// through me.
func TestQuery_CustomerMetafields_VisibilityAndBatching(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	f := seedAccess(t, s)
	ctx := context.Background()
	owner, err := s.db.FindToken(ctx, s.token)
	if err != nil {
		t.Fatal(err)
	}
	ov := storage.MetafieldViewer{TokenID: owner.ID}
	for _, c := range []int{f.customerA, f.customerB} {
		if _, err := s.db.CreateMetafields(ctx, ov, []storage.MetafieldInput{
			{CustomerID: c, Namespace: "n", Key: "private", Value: "p", PermissionSet: storage.MetafieldAppOnly},
			{CustomerID: c, Namespace: "n", Key: "shared", Value: "s", PermissionSet: storage.MetafieldRead},
			{CustomerID: c, Namespace: "sf", Key: "shown", Value: "x", PermissionSet: storage.MetafieldReadSF},
		}); err != nil {
			t.Fatal(err)
		}
	}
	const q = `{ customers { nodes { id metafields { key } } } }`
	var out struct {
		C struct {
			Nodes []struct {
				ID         int             `json:"id"`
				Metafields []metafieldNode `json:"metafields"`
			} `json:"nodes"`
		} `json:"customers"`
	}
	s.mustQuery(q, nil, &out)
	base := s.statements()
	for _, n := range out.C.Nodes {
		if got := metafieldKeys(n.Metafields); got != "private,shared,shown" {
			t.Errorf("owner sees %s on %d", got, n.ID)
		}
	}
	// One statement for every customer's metafields: the query without
	// them runs exactly one fewer.
	s.mustQuery(`{ customers { nodes { id } } }`, nil, nil)
	if got := base - s.statements(); got != 1 {
		t.Errorf("metafields of %d customers cost %d statements, want 1", len(out.C.Nodes), got)
	}

	r := s.doWith(q, nil, http.Header{"X-Auth-Token": {f.readToken}})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	json.Unmarshal(r.Data, &out)
	if got := metafieldKeys(out.C.Nodes[0].Metafields); got != "shared,shown" {
		t.Errorf("another token sees %s", got)
	}
	var filtered struct {
		C struct {
			Nodes []struct {
				Metafields []metafieldNode `json:"metafields"`
			} `json:"nodes"`
		} `json:"customers"`
	}
	s.mustQuery(`{ customers(limit: 1) { nodes { metafields(namespace: "n", keys: ["shared", "nope"]) { key } } } }`, nil, &filtered)
	if got := metafieldKeys(filtered.C.Nodes[0].Metafields); got != "shared" {
		t.Errorf("metafields(namespace, keys) = %s", got)
	}

	shopper := s.login(t, f.emailA, f.pw)
	r = s.doWith(`{ me { id metafields { key value permissionSet } } }`, nil, bearer(shopper))
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	var me struct {
		Me struct {
			Metafields []metafieldNode `json:"metafields"`
		} `json:"me"`
	}
	json.Unmarshal(r.Data, &me)
	if got := metafieldKeys(me.Me.Metafields); got != "shown" {
		t.Errorf("the shopper sees %s, want shown", got)
	}
	r = s.doWith(`mutation { createCustomerMetafields(input: [{customerId: 1, namespace: "a", key: "b", value: "c", permissionSet: READ}]) { userErrors { code } } }`,
		nil, bearer(shopper))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("a shopper writing metafields: %+v", r.Errors)
	}
}
