package graph_test

import "github.com/storefront/customers/internal/kdf"

// The suite hashes hundreds of passwords; it tests what surrounds a hash,
// so it hashes at argon2id's cheapest parameters (internal/kdf). The
// store's tests keep the real ones.
func init() { kdf.ForTests() }
