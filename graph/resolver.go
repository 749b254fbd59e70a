// Package graph is the GraphQL layer: the gqlgen executor (generated), thin
// resolvers over storage, per-operation dataloaders, argument parsing and
// the error presenter.
package graph

//go:generate go tool gqlgen generate

import (
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/storefront/customers/facade"
	"github.com/storefront/customers/throttle"
)

// Resolver is the root of the resolvers; it holds what they share.
type Resolver struct {
	DB  resolverStore
	log *slog.Logger
	// auth identifies callers and signs shopper tokens.
	auth *auth
	// credentials paces password checks per (account, client), client and
	// account; signups paces registrations per client.
	credentials passwordThrottles
	signups     *throttle.Keyed
	// events feeds the customerEvents subscriptions.
	events *feed
	// subscriptions counts the open subscriptions per caller, within
	// streams.PerCaller.
	subscriptions *counter
	streams       StreamLimits
	// mirror, in facade mode, is the mirror of the upstream store: reads
	// answer from it, writes pass through to the upstream.
	mirror *facade.Mirror
}

// itoa formats an int.
func itoa(n int) string { return strconv.Itoa(n) }

// jsonMarshal encodes v; the values given never fail to encode.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
