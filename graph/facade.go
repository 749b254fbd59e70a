package graph

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/facade"
	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/upstream"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Facade mode (../API.md, Additions): the store mirrors an upstream
// BigCommerce store. Reads answer from the mirror; the mutations in
// passedThrough call the upstream and write what it returns to the mirror
// before they answer; every other mutation is refused, never written only
// here.

// Codes of the facade mode's top-level errors.
const (
	// CodeUpstreamUnavailable: the upstream failed or is out of reach;
	// nothing was written.
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	// CodeNotSupported: a mutation the facade does not pass through to
	// the upstream (yet); nothing was written.
	CodeNotSupported = "NOT_SUPPORTED_IN_FACADE_MODE"
)

// passedThrough are the mutations that reach the upstream in facade mode.
// The webhook and session mutations are this server's own state, not the
// store's, and run here.
var passedThrough = map[string]bool{
	"createCustomers": true, "updateCustomers": true, "deleteCustomers": true,
	"createCustomerAddresses": true, "updateCustomerAddresses": true, "deleteCustomerAddresses": true,
	"validateCustomerCredentials": true, "validateCustomerPassword": true, "login": true,
	"createCustomerAttributes": true, "updateCustomerAttributes": true, "deleteCustomerAttributes": true,
	"upsertCustomerAttributeValues": true, "deleteCustomerAttributeValues": true, "upsertCustomerFormFieldValues": true,
	"createSubscriber": true, "updateSubscriber": true, "updateCustomerSettings": true,
	"registerCustomer": true, "updateMe": true, "changeMyPassword": true,
	"createMyAddress": true, "updateMyAddress": true, "deleteMyAddress": true,
	"createCustomerGroup": true, "updateCustomerGroup": true, "deleteCustomerGroups": true, "deleteSubscribers": true,
	"updateChannelCustomerSettings": true, "updateCustomerConsent": true, "updateMyConsent": true,
	"createWebhook": true, "updateWebhook": true, "deleteWebhooks": true, "retryWebhookDelivery": true,
	"logout": true, "impersonateCustomer": true, "loginWithToken": true,
}

// facadeMode refuses the mutations not passed through and marks reads of
// an incomplete mirror.
type facadeMode struct{ mirror *facade.Mirror }

func (facadeMode) ExtensionName() string                   { return "FacadeMode" }
func (facadeMode) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField refuses a mutation that does not pass through.
func (f facadeMode) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc != nil && fc.Object == "Mutation" && fc.IsResolver && !passedThrough[fc.Field.Name] {
		return nil, &gqlerror.Error{Message: "In facade mode " + fc.Field.Name + " is not passed through to the upstream store; " +
			"make this change at the upstream (it reaches the mirror by webhook).", Extensions: map[string]any{"code": CodeNotSupported}}
	}
	return next(ctx)
}

// InterceptResponse adds extensions.sync to the answers of queries while
// the first full sync runs.
func (f facadeMode) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	res := next(ctx)
	if res == nil || !graphql.HasOperationContext(ctx) || f.mirror.Synced() {
		return res
	}
	if op := graphql.GetOperationContext(ctx); op.Operation == nil || op.Operation.Operation != ast.Query {
		return res
	}
	s := f.mirror.Status()
	if res.Extensions == nil {
		res.Extensions = map[string]any{}
	}
	res.Extensions["sync"] = map[string]any{"complete": false, "state": string(s.State),
		"syncedCustomers": s.Done, "upstreamCustomers": s.Total}
	return res
}

var (
	_ graphql.FieldInterceptor    = facadeMode{}
	_ graphql.ResponseInterceptor = facadeMode{}
)

// syncStatus answers the syncStatus query.
func (r *Resolver) syncStatus() *model.SyncStatus {
	if r.mirror == nil {
		return &model.SyncStatus{State: model.SyncStateOff}
	}
	s := r.mirror.Status()
	out := &model.SyncStatus{State: model.SyncState(s.State), LagSeconds: math.Round(s.LagSeconds*1000) / 1000,
		PendingChanges: s.PendingChanges, UpstreamErrors: s.UpstreamErrors, SyncedCustomers: s.Done, UpstreamCustomers: s.Total}
	if s.LastFullSyncAt != nil {
		t := s.LastFullSyncAt.UTC().Truncate(time.Second)
		out.LastFullSyncAt = &t
	}
	return out
}

// upstreamError is the top-level error of a call the upstream failed:
// THROTTLED (with the wait) or UPSTREAM_UNAVAILABLE. Nothing was written.
func upstreamError(err error) error {
	e, ok := errors.AsType[*upstream.Error](err)
	if !ok {
		return err
	}
	if e.Kind == upstream.Throttled {
		secs := max(1, int(math.Ceil(e.RetryAfter.Seconds())))
		return &gqlerror.Error{Message: "The upstream store is rate limiting this server; nothing was written. Try again later.",
			Extensions: map[string]any{"code": CodeThrottled, "retryAfterSeconds": secs}}
	}
	return &gqlerror.Error{Message: "The upstream store failed or is out of reach; nothing was written.",
		Extensions: map[string]any{"code": CodeUpstreamUnavailable}}
}
