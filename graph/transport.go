package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport serves POST requests as gqlgen's transport.POST does (the
// same parsing, statuses and headers), with three differences. A body that
// is not a GraphQL request is a coded 400 (BAD_REQUEST) that does not quote
// it, where gqlgen's message repeats the body, passwords included, into
// the answer and the log. An answer over maxResponse bytes is replaced by
// RESPONSE_TOO_LARGE. And a response the compiled read path wrote goes out
// as written: gqlgen encodes every response with encoding/json, which
// validates, compacts and HTML-escapes the data a second time; the compiled
// writer already writes it compact and escaped, and that second pass cost
// a tenth of a customer read.
type postTransport struct {
	transport.POST
	// maxResponse bounds an answer's bytes; 0 means no bound.
	maxResponse int
}

// rawData carries the compiled path's data to the transport: the compiled
// executor records what it wrote, and the transport writes those bytes
// when the response still holds them.
type rawData struct{ data []byte }

type rawDataKey struct{}

// recordRaw notes, for the transport, that data is written ready to send.
func recordRaw(ctx context.Context, data []byte) {
	if r, ok := ctx.Value(rawDataKey{}).(*rawData); ok {
		r.data = data
	}
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.refuse(w, r, exec, badRequest("The request body could not be read."))
		return
	}
	params, err := decodeParams(body)
	if err != nil {
		t.refuse(w, r, exec, badRequest(bodyProblem(err)))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	t.run(w, r, exec, params, false)
}

// refuse answers 400 with err, a request that never became an operation;
// the response still goes through the extensions (telemetry counts it).
func (t postTransport) refuse(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, err *gqlerror.Error) {
	w.Header().Set("Content-Type", responseContentType(r))
	w.WriteHeader(http.StatusBadRequest)
	t.write(w, exec.DispatchError(r.Context(), gqlerror.List{err}), nil)
}

// run executes params and writes the response. queriesOnly refuses
// mutations and subscriptions (GET).
func (t postTransport) run(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, queriesOnly bool) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	op, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(errorStatus(contentType, errs))
		t.write(w, exec.DispatchError(graphql.WithOperationContext(ctx, op), errs), nil)
		return
	}
	if queriesOnly && op.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		t.write(w, exec.DispatchError(graphql.WithOperationContext(ctx, op), gqlerror.List{
			badRequest("GET serves queries only; send mutations and subscriptions with POST.")}), nil)
		return
	}
	raw := &rawData{}
	responses, ctx := exec.DispatchOperation(context.WithValue(ctx, rawDataKey{}, raw), op)
	resp := responses(ctx)
	if resp == nil {
		// gqlgen answers nothing once the request's context has ended.
		resp = &graphql.Response{Errors: gqlerror.List{codedError(CodeTimeout, "The request took too long.")}}
	}
	t.write(w, resp, raw)
}

// getTransport serves GET requests (queries only) the way postTransport
// serves POST: the same codes, size cap and raw writing.
type getTransport struct{ post postTransport }

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		t.post.refuse(w, r, exec, badRequest("The query string is not URL-encoded."))
		return
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	for _, p := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(p.dst); err != nil {
			t.post.refuse(w, r, exec, badRequest("The "+p.name+" parameter is not a JSON object."))
			return
		}
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	t.post.run(w, r, exec, params, true)
}

// responseContentType picks the response's media type from Accept, as
// gqlgen's transports do by default.
func responseContentType(r *http.Request) string {
	const plain, graphqlResponse = "application/json", "application/graphql-response+json"
	accept := r.Header.Get("Accept")
	if accept == "" {
		return plain
	}
	for part := range strings.SplitSeq(accept, ",") {
		media, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch media {
		case "*/*", "application/*", plain:
			return plain
		case graphqlResponse:
			return graphqlResponse
		}
	}
	return graphqlResponse
}

// errorStatus is the status of a request that never became an operation:
// a protocol error (parse, validation) is 422, or 400 under the GraphQL
// response media type (graphql-over-http).
func errorStatus(contentType string, errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if contentType == "application/graphql-response+json" {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// CodeResponseTooLarge is the code of an answer refused for its size.
const CodeResponseTooLarge = "RESPONSE_TOO_LARGE"

// write writes resp as encoding/json would encode it; when its data is the
// compiled path's (raw), those bytes go out unchanged. An answer larger
// than the transport's cap is replaced by a RESPONSE_TOO_LARGE error.
func (t postTransport) write(w io.Writer, resp *graphql.Response, raw *rawData) {
	b := encodeResponse(resp, raw)
	if t.maxResponse > 0 && len(b) > t.maxResponse {
		b = encodeResponse(&graphql.Response{Errors: gqlerror.List{{
			Message: fmt.Sprintf("The answer would be %d bytes; the limit is %d. Ask for smaller pages or fewer fields.",
				len(b), t.maxResponse),
			Extensions: map[string]any{"code": CodeResponseTooLarge},
		}}}, nil)
	}
	w.Write(b)
}

// encodeResponse encodes resp, writing raw's bytes as its data when the
// compiled path wrote them.
func encodeResponse(resp *graphql.Response, raw *rawData) []byte {
	if raw == nil || raw.data == nil || resp == nil || len(resp.Errors) > 0 || resp.Label != "" || resp.Path != nil ||
		resp.HasNext != nil || !sameBytes(resp.Data, raw.data) {
		b, err := json.Marshal(resp)
		if err != nil {
			// Only a broken marshaler gets here; gqlgen panics, the recover
			// middleware answers 500.
			panic(err)
		}
		return b
	}
	b := make([]byte, 0, len(raw.data)+128)
	b = append(b, `{"data":`...)
	b = append(b, raw.data...)
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			panic(err)
		}
		b = append(b, `,"extensions":`...)
		b = append(b, ext...)
	}
	return append(b, '}')
}

// sameBytes reports whether a and b are the same slice.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
