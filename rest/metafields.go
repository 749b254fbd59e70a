package rest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/wire"
)

// V3 customer metafields: one customer's (/customers/{customerId}/metafields)
// and the batch (/customers/metafields). A token sees every metafield not
// app_only, and its own.

// metafieldFields are the fields include_fields may name.
var metafieldFields = []string{"resource_id", "key", "value", "namespace", "permission_set", "resource_type", "description",
	"owner_client_id", "date_created", "date_modified"}

func viewer(r *request) storage.MetafieldViewer { return storage.MetafieldViewer{TokenID: r.token.ID} }

// listMetafields serves both lists: of one customer (customer > 0) or of
// all.
func (h *handler) listMetafields(w http.ResponseWriter, r *request, customer int) error {
	q := newQuery(r.Request)
	f := storage.MetafieldFilter{IDIn: q.ints("id:in"), Key: q.str("key"), KeyIn: q.strs("key:in"), Namespace: q.str("namespace"),
		NamespaceIn: q.strs("namespace:in"), DateCreated: q.dates("date_created"), DateModified: q.dates("date_modified")}
	if customer > 0 {
		f.CustomerIDIn = []int{customer}
	} else {
		f.CustomerIDIn = q.ints("resource_id:in")
	}
	desc := false
	if d := q.str("direction"); d != nil {
		switch *d {
		case "asc":
		case "desc":
			desc = true
		default:
			q.fail("direction", "direction is asc or desc.")
		}
	}
	fields := q.strs("include_fields")
	for _, f := range fields {
		if !contains(metafieldFields, f) {
			q.fail("include_fields", strconv.Quote(truncate(f))+" is not a metafield field.")
		}
	}
	req := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if customer > 0 {
		if _, err := h.db.FindCustomerByID(r.Context(), customer); storage.ErrorCode(err) == storage.ENOTFOUND {
			return notFound("Customer")
		} else if err != nil {
			return err
		}
	}
	pg, err := h.db.FindMetafields(r.Context(), viewer(r), f, desc, req)
	if err != nil {
		return invalid(err, "The query parameters are not valid.", fieldsV3(""))
	}
	out := collect(r.Request, pg, v3Metafield)
	if fields == nil {
		return ok(w, out)
	}
	// include_fields: the id and the named fields only.
	picked := wire.Collection[map[string]any]{Data: make([]map[string]any, len(out.Data)), Meta: out.Meta}
	for i, m := range out.Data {
		picked.Data[i] = pickFields(m, fields)
	}
	return ok(w, picked)
}

func pickFields(m wire.Metafield, fields []string) map[string]any {
	all := map[string]any{"id": m.ID, "resource_id": m.ResourceID, "key": m.Key, "value": m.Value, "namespace": m.Namespace,
		"permission_set": m.PermissionSet, "resource_type": m.ResourceType, "description": m.Description,
		"owner_client_id": m.OwnerClientID, "date_created": m.DateCreated, "date_modified": m.DateModified}
	out := map[string]any{"id": m.ID}
	for _, f := range fields {
		out[f] = all[f]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h *handler) listAllMetafields(w http.ResponseWriter, r *request) error {
	return h.listMetafields(w, r, 0)
}

func (h *handler) listCustomerMetafields(w http.ResponseWriter, r *request) error {
	id, err := customerID(r, "customerId")
	if err != nil {
		return err
	}
	return h.listMetafields(w, r, id)
}

// metafieldInput reads a metafield to create.
func metafieldInput(customer int, m wire.MetafieldWrite) storage.MetafieldInput {
	return storage.MetafieldInput{CustomerID: customer, Namespace: deref(m.Namespace), Key: deref(m.Key), Value: deref(m.Value),
		Description: deref(m.Description), PermissionSet: storage.MetafieldPermissionSet(deref(m.PermissionSet))}
}

// metafieldUpdate reads a metafield change.
func metafieldUpdate(id int, customer *int, m wire.MetafieldWrite) storage.MetafieldUpdate {
	u := storage.MetafieldUpdate{ID: id, CustomerID: customer, Namespace: m.Namespace, Key: m.Key, Value: m.Value,
		Description: m.Description}
	if m.PermissionSet != nil {
		p := storage.MetafieldPermissionSet(*m.PermissionSet)
		u.PermissionSet = &p
	}
	return u
}

// metafieldField names a metafield input path: V3 calls a customer its
// resource.
func metafieldField(prefix string) fieldNamer {
	base := fieldsV3(prefix)
	return func(path string) string {
		return strings.Replace(base(path), "customer_id", "resource_id", 1)
	}
}

// oneMetafield answers a single metafield write: 404 for an unknown
// customer or metafield, 409 for a taken key, else 422.
func oneMetafield(w http.ResponseWriter, ms []*storage.CustomerMetafield, err error) error {
	switch {
	case isNotFoundOn(err, "customerId"):
		return notFound("Customer")
	case isNotFoundOn(err, "id"):
		return notFound("Metafield")
	case err != nil:
		return invalidWith(err, "The metafield is not valid.", metafieldField("0."), map[string]int{storage.ECONFLICT: http.StatusConflict})
	}
	return ok(w, wire.MetafieldBatch[wire.Metafield]{Data: convertAll(ms, v3Metafield),
		Meta: wire.BatchCount{Total: len(ms), Success: len(ms)}})
}

func (h *handler) createCustomerMetafield(w http.ResponseWriter, r *request) error {
	id, err := customerID(r, "customerId")
	if err != nil {
		return err
	}
	var in wire.MetafieldWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	ms, err := h.db.CreateMetafields(r.Context(), viewer(r), []storage.MetafieldInput{metafieldInput(id, in)})
	return oneMetafield(w, ms, err)
}

// metafieldIDs reads the {customerId} and {metafieldId} of a path.
func metafieldIDs(r *request) (customer, metafield int, err error) {
	if customer, err = customerID(r, "customerId"); err != nil {
		return 0, 0, err
	}
	metafield, err = strconv.Atoi(r.PathValue("metafieldId"))
	if err != nil || metafield < 1 {
		return 0, 0, notFound("Metafield")
	}
	return customer, metafield, nil
}

func (h *handler) getCustomerMetafield(w http.ResponseWriter, r *request) error {
	customer, id, err := metafieldIDs(r)
	if err != nil {
		return err
	}
	m, err := h.db.FindMetafieldByID(r.Context(), viewer(r), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND || (err == nil && m.CustomerID != customer) {
		return notFound("Metafield")
	}
	if err != nil {
		return err
	}
	return ok(w, wire.Single[wire.Metafield]{Data: v3Metafield(m)})
}

func (h *handler) updateCustomerMetafield(w http.ResponseWriter, r *request) error {
	customer, id, err := metafieldIDs(r)
	if err != nil {
		return err
	}
	var in wire.MetafieldWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	ms, err := h.db.UpdateMetafields(r.Context(), viewer(r), []storage.MetafieldUpdate{metafieldUpdate(id, &customer, in)})
	return oneMetafield(w, ms, err)
}

func (h *handler) deleteCustomerMetafield(w http.ResponseWriter, r *request) error {
	customer, id, err := metafieldIDs(r)
	if err != nil {
		return err
	}
	m, err := h.db.FindMetafieldByID(r.Context(), viewer(r), id)
	if storage.ErrorCode(err) == storage.ENOTFOUND || (err == nil && m.CustomerID != customer) {
		return notFound("Metafield")
	}
	if err != nil {
		return err
	}
	deleted, err := h.db.DeleteMetafields(r.Context(), viewer(r), []int{id})
	if err != nil {
		return invalidWith(err, "The metafield cannot be deleted.", func(string) string { return "id" }, nil)
	}
	if len(deleted) == 0 {
		return notFound("Metafield")
	}
	return noContent(w)
}

// batchFailed answers a refused metafield batch: 422 with the problems,
// nothing written (a batch is all or nothing), or 413 over the size.
func batchFailed[T any](w http.ResponseWriter, total int, err error) error {
	e, ok := invalidWith(err, "Bulk operation has failed", metafieldField(""), nil).(*apiError)
	if !ok {
		return err
	}
	if e.status == http.StatusRequestEntityTooLarge {
		return e
	}
	body := wire.MetafieldBatch[T]{Data: []T{}, Meta: wire.BatchCount{Total: total, Failed: total},
		Errors: []wire.Error{{Status: e.status, Title: e.title, Type: wire.ErrorType, Errors: e.errors}}}
	return writeJSON(w, http.StatusUnprocessableEntity, body)
}

func (h *handler) createMetafields(w http.ResponseWriter, r *request) error {
	var in []wire.MetafieldWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	out := make([]storage.MetafieldInput, len(in))
	for i, m := range in {
		out[i] = metafieldInput(m.ResourceID, m)
	}
	ms, err := h.db.CreateMetafields(r.Context(), viewer(r), out)
	if err != nil {
		return batchFailed[wire.Metafield](w, len(in), err)
	}
	return ok(w, wire.MetafieldBatch[wire.Metafield]{Data: convertAll(ms, v3Metafield),
		Meta: wire.BatchCount{Total: len(ms), Success: len(ms)}})
}

func (h *handler) updateMetafields(w http.ResponseWriter, r *request) error {
	var in []wire.MetafieldWrite
	if err := decode(r, &in); err != nil {
		return err
	}
	out := make([]storage.MetafieldUpdate, len(in))
	for i, m := range in {
		out[i] = metafieldUpdate(m.ID, nil, m)
	}
	ms, err := h.db.UpdateMetafields(r.Context(), viewer(r), out)
	if err != nil {
		return batchFailed[wire.Metafield](w, len(in), err)
	}
	return ok(w, wire.MetafieldBatch[wire.Metafield]{Data: convertAll(ms, v3Metafield),
		Meta: wire.BatchCount{Total: len(ms), Success: len(ms)}})
}

// deleteMetafields deletes the metafields whose ids the body lists. Ids
// the token cannot see are not deleted and are reported (422, the others
// deleted); one the token may not delete refuses the whole batch.
func (h *handler) deleteMetafields(w http.ResponseWriter, r *request) error {
	var ids []int
	if err := decode(r, &ids); err != nil {
		return err
	}
	deleted, err := h.db.DeleteMetafields(r.Context(), viewer(r), ids)
	if err != nil {
		return batchFailed[int](w, len(ids), err)
	}
	out := wire.MetafieldBatch[int]{Data: deleted, Meta: wire.BatchCount{Total: len(ids), Success: len(deleted),
		Failed: len(ids) - len(deleted)}}
	if out.Meta.Failed == 0 {
		return ok(w, out)
	}
	missing := map[string]string{}
	for i, id := range ids {
		if !contains(intsToStrings(deleted), strconv.Itoa(id)) {
			missing[strconv.Itoa(i)] = "Metafield " + strconv.Itoa(id) + " does not exist."
		}
	}
	out.Errors = []wire.Error{{Status: http.StatusUnprocessableEntity, Title: "Bulk operation has partially failed",
		Type: wire.ErrorType, Errors: missing}}
	return writeJSON(w, http.StatusUnprocessableEntity, out)
}

func intsToStrings(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}
