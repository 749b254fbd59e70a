package storage

import (
	"slices"
	"strings"
)

// TokenInput is an API token to create.
type TokenInput struct {
	// Name tells the token apart in a list; optional.
	Name   string
	Scopes []string
	// CostBudget and CostRestore, when set, replace the server's cost
	// budget and refill rate for this token (graph/limits.go): a trusted
	// back-office job may get more than a storefront. A budget of 0 is
	// unlimited.
	CostBudget, CostRestore *int
}

// Validate checks a token to create. It returns REQUIRED without a scope,
// INVALID for an unknown scope or a negative budget or a refill below 1,
// and TOO_LONG for a name over 255 characters. It needs no store, so the
// command line checks its flags before it opens a file.
func (in TokenInput) Validate() error {
	if len(in.Scopes) == 0 {
		return FieldErrorf(EREQUIRED, "scopes", "Give at least one scope: %s.", strings.Join(Scopes, ", "))
	}
	for _, s := range in.Scopes {
		if !slices.Contains(Scopes, s) {
			return FieldErrorf(EINVALID, "scopes", "%q is not a scope; the scopes are %s.", truncate(s, 60), strings.Join(Scopes, ", "))
		}
	}
	if len(in.Name) > 255 {
		return FieldErrorf(ETOOLONG, "name", "A name has at most 255 characters.")
	}
	if in.CostBudget != nil && *in.CostBudget < 0 {
		return FieldErrorf(EINVALID, "costBudget", "A cost budget is 0 (unlimited) or more, not %d.", *in.CostBudget)
	}
	if in.CostRestore != nil && *in.CostRestore < 1 {
		return FieldErrorf(EINVALID, "costRestore", "A cost budget refills by 1 or more a second, not %d.", *in.CostRestore)
	}
	return nil
}
