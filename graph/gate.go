package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// What a request must get past before gqlgen spends anything on it: a
// transport that serves it, a body that is a GraphQL request, a persisted
// query that is known, and a document small enough to validate. Every
// refusal is coded, and none repeats what the client sent: a body may hold
// a password, and an error message is logged as often as it is shown.

// Codes of requests refused before they became an operation (../API.md,
// Additions).
const (
	CodeBadRequest                 = "BAD_REQUEST"
	CodePersistedQueryNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	CodePersistedQueryHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH"
)

// badRequest is the error of a body that is not a GraphQL request.
func badRequest(msg string) *gqlerror.Error { return codedError(CodeBadRequest, msg) }

// bodyProblem describes why a body did not decode as a GraphQL request,
// without quoting it: a decoder's message may carry a piece of the body.
func bodyProblem(err error) string {
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "The request body is not a GraphQL request: query and operationName are strings, variables and extensions objects."
	}
	return "The request body is not valid JSON; send {\"query\": \"...\", \"variables\": {...}}."
}

// decodeParams reads a GraphQL request's JSON body, numbers kept exact.
func decodeParams(body []byte) (*graphql.RawParams, error) {
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return params, nil
}

// gate refuses, with a coded 400, a request that no transport serves
// (gqlgen's own answer has no code).
func gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Upgrade") != "", r.Method == http.MethodOptions, r.Method == http.MethodHead,
			r.Method == http.MethodGet, r.Method == http.MethodPost && isJSON(r.Header.Get("Content-Type")):
			next.ServeHTTP(w, r)
		default:
			writeError(w, http.StatusBadRequest, CodeBadRequest,
				"Send a GraphQL request: POST with Content-Type: application/json, or GET with ?query=.")
		}
	})
}

// isJSON reports whether a Content-Type is application/json.
func isJSON(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return err == nil && media == "application/json"
}

// containsMedia reports whether a comma-separated list of media ranges
// (an Accept header) names media.
func containsMedia(list, media string) bool {
	for part := range strings.SplitSeq(list, ",") {
		if m, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && m == media {
			return true
		}
	}
	return false
}

// persistedQueries is Apollo's automatic persisted queries: a client sends
// a query's SHA-256 alone and, when the server does not know it, the query
// with its hash once. Unlike gqlgen's extension, every problem has a
// PERSISTED_QUERY_* code. The queries are remembered in a bounded LRU.
type persistedQueries struct {
	cache *lru.LRU[string]
}

var (
	_ graphql.HandlerExtension          = persistedQueries{}
	_ graphql.OperationParameterMutator = persistedQueries{}
)

func (persistedQueries) ExtensionName() string                   { return "PersistedQueries" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills in the query of a request that names a
// persisted one, and remembers the query of one that sends both.
func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	ext, ok := raw.Extensions["persistedQuery"]
	if !ok || ext == nil {
		return nil
	}
	m, ok := ext.(map[string]any)
	if !ok {
		return codedError(CodePersistedQueryNotSupported, "extensions.persistedQuery must be an object {version: 1, sha256Hash}.")
	}
	hash, _ := m["sha256Hash"].(string)
	if !isVersionOne(m["version"]) {
		return codedError(CodePersistedQueryNotSupported, "Only version 1 of automatic persisted queries is supported.")
	}
	if len(hash) != sha256.Size*2 {
		return codedError(CodePersistedQueryNotSupported, "extensions.persistedQuery.sha256Hash must be a hex SHA-256.")
	}
	hash = strings.ToLower(hash)
	if raw.Query == "" {
		q, ok := p.cache.Get(ctx, hash)
		if !ok {
			return codedError(CodePersistedQueryNotFound, "PersistedQueryNotFound")
		}
		raw.Query = q
		return nil
	}
	sum := sha256.Sum256([]byte(raw.Query))
	if hex.EncodeToString(sum[:]) != hash {
		return codedError(CodePersistedQueryHashMismatch, "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.")
	}
	p.cache.Add(ctx, hash, raw.Query)
	return nil
}

// isVersionOne reports whether a decoded JSON value is the number 1.
func isVersionOne(v any) bool {
	switch v := v.(type) {
	case json.Number:
		return v == "1"
	case float64:
		return v == 1
	}
	return false
}

// DocumentLimits bound what a query document may hold. gqlgen validates a
// document before anything else looks at it, and some of its rules take
// time that grows with the square of the selections (fields of one name
// are compared pairwise), so these are counted on the parsed document
// first: 14,000 `__typename` would otherwise take seconds to validate.
type DocumentLimits struct {
	// Selections bounds the fields, fragment spreads and inline fragments
	// of the whole document.
	Selections int
	// Aliases bounds the aliased fields.
	Aliases int
	// Directives bounds the directives used.
	Directives int
	// Fragments bounds the fragment definitions.
	Fragments int
}

// DefaultDocumentLimits hold for identified callers: generous for a
// dashboard (the playground's example query has about 50 selections),
// short of the seconds of validation an attacker wants.
var DefaultDocumentLimits = DocumentLimits{Selections: 1500, Aliases: 150, Directives: 150, Fragments: 100}

// DefaultAnonymousDocumentLimits hold before a caller is identified: room
// for sign-in, registration and the playground's introspection query
// (about 90 selections), little more.
var DefaultAnonymousDocumentLimits = DocumentLimits{Selections: 300, Aliases: 20, Directives: 20, Fragments: 20}

// documentGuard is the extension that enforces DocumentLimits. It runs
// after persistedQueries, so a persisted query is counted too, and skips
// documents the query cache holds: those were counted when they came.
type documentGuard struct {
	identified, anonymous DocumentLimits
	tokenLimit            int
	cache                 *lru.LRU[*ast.QueryDocument]
}

var (
	_ graphql.HandlerExtension          = (*documentGuard)(nil)
	_ graphql.OperationParameterMutator = (*documentGuard)(nil)
)

func (*documentGuard) ExtensionName() string                   { return "DocumentLimits" }
func (*documentGuard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters parses an uncached query and counts it. A
// query that does not parse is left to gqlgen, which reports it.
func (g *documentGuard) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query == "" {
		return nil
	}
	if _, ok := g.cache.Get(ctx, raw.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: raw.Query}, g.tokenLimit)
	if err != nil {
		return nil
	}
	limits, who := g.identified, ""
	if c := callerOf(ctx); c.Token == nil && c.Shopper == nil {
		limits, who = g.anonymous, " without credentials"
	}
	n := countDocument(doc)
	for _, c := range []struct {
		what     string
		got, max int
	}{
		{"selections", n.Selections, limits.Selections},
		{"aliases", n.Aliases, limits.Aliases},
		{"directives", n.Directives, limits.Directives},
		{"fragments", n.Fragments, limits.Fragments},
	} {
		if c.max > 0 && c.got > c.max {
			return limitError("The document has %d %s; the limit%s is %d.", c.got, c.what, who, c.max)
		}
	}
	return nil
}

// countDocument counts what DocumentLimits bound, in every operation and
// fragment of doc.
func countDocument(doc *ast.QueryDocument) DocumentLimits {
	var n DocumentLimits
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			n.Selections++
			switch s := s.(type) {
			case *ast.Field:
				if s.Alias != "" && s.Alias != s.Name {
					n.Aliases++
				}
				n.Directives += len(s.Directives)
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				n.Directives += len(s.Directives)
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				n.Directives += len(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		n.Directives += len(op.Directives)
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n.Fragments++
		n.Directives += len(f.Directives)
		walk(f.SelectionSet)
	}
	return n
}
