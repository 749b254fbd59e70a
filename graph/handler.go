package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options configure NewHandler.
type Options struct {
	// Logger receives internal errors and panics; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// Extensions are added to the gqlgen server, in order, before its own
	// (telemetry, for one).
	Extensions []graphql.HandlerExtension
	// OnBatch, when set, is told the size of every batched lookup: each
	// dataloader batch and each priming fetch, by relation name.
	OnBatch func(relation string, keys int)
}

// NewHandler returns the GraphQL HTTP handler over db: POST and GET
// transports, a parsed-query cache, introspection, the error presenter, the
// panic guard, and a fresh set of dataloaders for every operation.
func NewHandler(db *storage.DB, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	resolver := &Resolver{DB: db, credentials: newThrottle(6*time.Second, 10)}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: resolver}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(15000)
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(presentError(opts.Logger))
	srv.SetRecoverFunc(recoverPanic(opts.Logger))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(withLoaders(ctx, newLoaders(db, opts.OnBatch)))
	})
	// Mutations run one after another; each gets fresh loaders, so what it
	// reads back is never what an earlier field of the operation cached.
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
			ctx = withLoaders(ctx, newLoaders(db, opts.OnBatch))
		}
		return next(ctx)
	})
	return withClient(http.MaxBytesHandler(srv, opts.MaxBodyBytes))
}
