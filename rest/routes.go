package rest

import "strings"

// routes are the operations the API serves, by path under
// /stores/{store_hash} (README, REST).
var routes = []route{
	// V3 customers.
	{method: "GET", path: "/v3/customers", scope: read, serve: (*handler).listCustomers},
	{method: "POST", path: "/v3/customers", scope: write, serve: (*handler).createCustomers},
	{method: "PUT", path: "/v3/customers", scope: write, serve: (*handler).updateCustomers},
	{method: "DELETE", path: "/v3/customers", scope: write, serve: deleteByIDs(func(h *handler, r *request, ids []int) ([]int, error) {
		return h.db.DeleteCustomers(r.Context(), ids)
	})},
	{method: "GET", path: "/v3/customers/addresses", scope: read, serve: (*handler).listAddresses},
	{method: "POST", path: "/v3/customers/addresses", scope: write, serve: (*handler).createAddresses},
	{method: "PUT", path: "/v3/customers/addresses", scope: write, serve: (*handler).updateAddresses},
	{method: "DELETE", path: "/v3/customers/addresses", scope: write, serve: deleteByIDs(func(h *handler, r *request, ids []int) ([]int, error) {
		return h.db.DeleteAddresses(r.Context(), ids)
	})},
	{method: "GET", path: "/v3/customers/attributes", scope: read, serve: (*handler).listAttributes},
	{method: "POST", path: "/v3/customers/attributes", scope: write, serve: (*handler).createAttributes},
	{method: "PUT", path: "/v3/customers/attributes", scope: write, serve: (*handler).updateAttributes},
	{method: "DELETE", path: "/v3/customers/attributes", scope: write, serve: deleteByIDs(func(h *handler, r *request, ids []int) ([]int, error) {
		return h.db.DeleteAttributes(r.Context(), ids)
	})},
	{method: "GET", path: "/v3/customers/attribute-values", scope: read, serve: (*handler).listAttributeValues},
	{method: "PUT", path: "/v3/customers/attribute-values", scope: write, serve: (*handler).upsertAttributeValues},
	{method: "DELETE", path: "/v3/customers/attribute-values", scope: write, serve: deleteByIDs(func(h *handler, r *request, ids []int) ([]int, error) {
		return h.db.DeleteAttributeValues(r.Context(), ids)
	})},
	{method: "GET", path: "/v3/customers/form-field-values", scope: read, serve: (*handler).listFormFieldValues},
	{method: "PUT", path: "/v3/customers/form-field-values", scope: write, serve: (*handler).upsertFormFieldValues},
	{method: "GET", path: "/v3/customers/{customerId}/consent", scope: read, serve: (*handler).getConsent},
	{method: "PUT", path: "/v3/customers/{customerId}/consent", scope: write, serve: (*handler).updateConsent},
	{method: "GET", path: "/v3/customers/{customerId}/stored-instruments", scope: read, serve: (*handler).storedInstruments},
	{method: "POST", path: "/v3/customers/validate-credentials", scope: write, serve: (*handler).validateCredentials},
	{method: "GET", path: "/v3/customers/settings", scope: read, serve: (*handler).getSettings},
	{method: "PUT", path: "/v3/customers/settings", scope: write, serve: (*handler).updateSettings},
	{method: "GET", path: "/v3/customers/settings/channels/{channel_id}", scope: read, serve: (*handler).getChannelSettings},
	{method: "PUT", path: "/v3/customers/settings/channels/{channel_id}", scope: write, serve: (*handler).updateChannelSettings},

	// V3 metafields.
	{method: "GET", path: "/v3/customers/{customerId}/metafields", scope: read, serve: (*handler).listCustomerMetafields},
	{method: "POST", path: "/v3/customers/{customerId}/metafields", scope: write, serve: (*handler).createCustomerMetafield},
	{method: "GET", path: "/v3/customers/{customerId}/metafields/{metafieldId}", scope: read, serve: (*handler).getCustomerMetafield},
	{method: "PUT", path: "/v3/customers/{customerId}/metafields/{metafieldId}", scope: write, serve: (*handler).updateCustomerMetafield},
	{method: "DELETE", path: "/v3/customers/{customerId}/metafields/{metafieldId}", scope: write, serve: (*handler).deleteCustomerMetafield},
	{method: "GET", path: "/v3/customers/metafields", scope: read, serve: (*handler).listAllMetafields},
	{method: "POST", path: "/v3/customers/metafields", scope: write, serve: (*handler).createMetafields},
	{method: "PUT", path: "/v3/customers/metafields", scope: write, serve: (*handler).updateMetafields},
	{method: "DELETE", path: "/v3/customers/metafields", scope: write, serve: (*handler).deleteMetafields},

	// V3 subscribers.
	{method: "GET", path: "/v3/customers/subscribers", scope: read, serve: (*handler).listSubscribers},
	{method: "POST", path: "/v3/customers/subscribers", scope: write, serve: (*handler).createSubscriber},
	{method: "DELETE", path: "/v3/customers/subscribers", scope: write, serve: (*handler).deleteSubscribers},
	{method: "GET", path: "/v3/customers/subscribers/{subscriber_id}", scope: read, serve: (*handler).getSubscriber},
	{method: "PUT", path: "/v3/customers/subscribers/{subscriber_id}", scope: write, serve: (*handler).updateSubscriber},
	{method: "DELETE", path: "/v3/customers/subscribers/{subscriber_id}", scope: write, serve: (*handler).deleteSubscriber},

	// V3 webhooks: the write scope, as the GraphQL webhooks.
	{method: "GET", path: "/v3/hooks", scope: write, serve: (*handler).listHooks},
	{method: "POST", path: "/v3/hooks", scope: write, serve: (*handler).createHook},
	{method: "GET", path: "/v3/hooks/admin", scope: write, serve: (*handler).getHooksAdmin},
	{method: "PUT", path: "/v3/hooks/admin", scope: write, serve: (*handler).updateHooksAdmin},
	{method: "GET", path: "/v3/hooks/events", scope: write, serve: (*handler).getHookEvents},
	{method: "GET", path: "/v3/hooks/{webhook_id}", scope: write, serve: (*handler).getHook},
	{method: "PUT", path: "/v3/hooks/{webhook_id}", scope: write, serve: (*handler).updateHook},
	{method: "DELETE", path: "/v3/hooks/{webhook_id}", scope: write, serve: (*handler).deleteHook},

	// V2 customers, addresses and groups.
	{method: "GET", path: "/v2/customers", scope: read, serve: (*handler).v2ListCustomers},
	{method: "POST", path: "/v2/customers", scope: write, serve: (*handler).v2CreateCustomer},
	{method: "DELETE", path: "/v2/customers", scope: write, serve: (*handler).v2DeleteCustomers},
	{method: "GET", path: "/v2/customers/count", scope: read, serve: (*handler).v2CountCustomers},
	{method: "GET", path: "/v2/customers/{customer_id}", scope: read, serve: (*handler).v2GetCustomer},
	{method: "PUT", path: "/v2/customers/{customer_id}", scope: write, serve: (*handler).v2UpdateCustomer},
	{method: "DELETE", path: "/v2/customers/{customer_id}", scope: write, serve: (*handler).v2DeleteCustomer},
	{method: "POST", path: "/v2/customers/{customer_id}/validate", scope: write, serve: (*handler).v2ValidatePassword},
	{method: "GET", path: "/v2/customers/{customer_id}/addresses", scope: read, serve: (*handler).v2ListAddresses},
	{method: "POST", path: "/v2/customers/{customer_id}/addresses", scope: write, serve: (*handler).v2CreateAddress},
	{method: "DELETE", path: "/v2/customers/{customer_id}/addresses", scope: write, serve: (*handler).v2DeleteAddresses},
	{method: "GET", path: "/v2/customers/{customer_id}/addresses/count", scope: read, serve: (*handler).v2CountAddresses},
	{method: "GET", path: "/v2/customers/{customer_id}/addresses/{customer_address_id}", scope: read, serve: (*handler).v2GetAddress},
	{method: "PUT", path: "/v2/customers/{customer_id}/addresses/{customer_address_id}", scope: write, serve: (*handler).v2UpdateAddress},
	{method: "DELETE", path: "/v2/customers/{customer_id}/addresses/{customer_address_id}", scope: write, serve: (*handler).v2DeleteAddress},
	{method: "GET", path: "/v2/customer_groups", scope: read, serve: (*handler).v2ListGroups},
	{method: "POST", path: "/v2/customer_groups", scope: write, serve: (*handler).v2CreateGroup},
	{method: "DELETE", path: "/v2/customer_groups", scope: write, serve: (*handler).v2DeleteGroups},
	{method: "GET", path: "/v2/customer_groups/count", scope: read, serve: (*handler).v2CountGroups},
	{method: "GET", path: "/v2/customer_groups/{customer_group_id}", scope: read, serve: (*handler).v2GetGroup},
	{method: "PUT", path: "/v2/customer_groups/{customer_group_id}", scope: write, serve: (*handler).v2UpdateGroup},
	{method: "DELETE", path: "/v2/customer_groups/{customer_group_id}", scope: write, serve: (*handler).v2DeleteGroup},
}

// Operation names one operation: its method and path pattern.
type Operation struct{ Method, Path string }

// Operations lists the operations the API serves, for tests and docs.
func Operations() []Operation {
	out := make([]Operation, len(routes))
	for i, r := range routes {
		out[i] = Operation{Method: r.method, Path: r.path}
	}
	return out
}

func init() {
	for i := range routes {
		routes[i].segs = strings.Split(strings.Trim(routes[i].path, "/"), "/")
	}
}
