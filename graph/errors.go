package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/storefront/customers/storage"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Top-level error codes (`errors[].extensions.code`, ../API.md "Errors
// outside payloads"), after the Apollo conventions.
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeNotFound     = "NOT_FOUND"
	CodeInternal     = "INTERNAL_SERVER_ERROR"
)

// internalMessage is all a client learns of an internal error.
const internalMessage = "Internal server error."

// presentError shapes every error a response carries. Coded storage errors
// keep their message; an invalid argument becomes BAD_USER_INPUT naming the
// argument in extensions.field; anything else is logged in full and shown
// as a bare message, never SQL, paths or stacks. GraphQL's own parse and
// validation errors pass through as gqlgen made them.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions != nil && gerr.Extensions["code"] != nil {
			return gerr // already coded (parse, validation, ...)
		}
		if gerr.Message == "introspection disabled" || strings.HasSuffix(gerr.Message, "introspection disabled") {
			gerr.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
			return gerr
		}
		if isTimeout(err) {
			return &gqlerror.Error{Message: "The request took too long.", Path: gerr.Path,
				Extensions: map[string]any{"code": CodeTimeout}}
		}
		se, ok := errors.AsType[*storage.Error](err)
		if !ok {
			log.ErrorContext(ctx, "internal error", "err", err, "path", gerr.Path.String(), "operation", operationName(ctx))
			return &gqlerror.Error{
				Message:    internalMessage,
				Path:       gerr.Path,
				Extensions: map[string]any{"code": CodeInternal},
			}
		}
		gerr.Message = se.Message
		gerr.Extensions = map[string]any{"code": topLevelCode(se.Code)}
		if field := inputField(ctx, gerr, se); field != "" {
			gerr.Extensions["field"] = field
		}
		return gerr
	}
}

// topLevelCode maps a storage code to the code of a top-level error: a bad
// argument is BAD_USER_INPUT, the rest keep their storage code.
func topLevelCode(code string) string {
	switch code {
	case storage.EINVALID, storage.EREQUIRED, storage.ETOOLONG, storage.ETOOMANYITEMS:
		return CodeBadUserInput
	case storage.EINTERNAL:
		return CodeInternal
	}
	return code
}

// inputField names the argument an error is about: the storage error's own
// field, or, for a value gqlgen failed to coerce (a bad FilterDate), the
// input path it appended to the field's response path. The error's path is
// then cut back to the response path, as the GraphQL spec defines it.
func inputField(ctx context.Context, gerr *gqlerror.Error, se *storage.Error) string {
	if se.Field != "" {
		return se.Field
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	field := fc.Path()
	if len(gerr.Path) <= len(field) {
		return ""
	}
	var parts []string
	for _, p := range gerr.Path[len(field):] {
		switch p := p.(type) {
		case ast.PathName:
			parts = append(parts, string(p))
		case ast.PathIndex:
			parts = append(parts, strconv.Itoa(int(p)))
		}
	}
	gerr.Path = field
	return strings.Join(parts, ".")
}

// recoverPanic turns a panic in a resolver into an internal error; the
// panic and its stack are logged, never shown.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
			"operation", operationName(ctx))
		return &gqlerror.Error{Message: internalMessage, Extensions: map[string]any{"code": CodeInternal}}
	}
}

// operationName returns the name of the running operation, if any.
func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	return graphql.GetOperationContext(ctx).OperationName
}
