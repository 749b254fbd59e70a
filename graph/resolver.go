// Package graph is the GraphQL layer: the gqlgen executor (generated), thin
// resolvers over storage, per-operation dataloaders, argument parsing and
// the error presenter.
package graph

//go:generate go tool gqlgen generate

import "github.com/storefront/customers/storage"

// Resolver is the root of the resolvers; it holds what they share.
type Resolver struct {
	DB *storage.DB

	// credentials throttles password checks per email, customer and client.
	credentials *throttle
}
