package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport serves POST requests as gqlgen's transport.POST does (the
// same parsing, statuses, headers and error messages), with one difference:
// a response the compiled read path wrote goes out as written. gqlgen
// encodes every response with encoding/json, which validates, compacts and
// HTML-escapes the data a second time; the compiled writer already writes
// it compact and escaped, and that second pass cost a tenth of a customer
// read.
type postTransport struct{ transport.POST }

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
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}), nil)
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, body)}), nil)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	op, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(errorStatus(contentType, errs))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, op), errs), nil)
		return
	}
	raw := &rawData{}
	responses, ctx := exec.DispatchOperation(context.WithValue(ctx, rawDataKey{}, raw), op)
	writeResponse(w, responses(ctx), raw)
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

// writeResponse writes resp as encoding/json would encode it; when its data
// is the compiled path's (raw), those bytes go out unchanged.
func writeResponse(w io.Writer, resp *graphql.Response, raw *rawData) {
	if raw == nil || raw.data == nil || resp == nil || len(resp.Errors) > 0 || resp.Label != "" || resp.Path != nil ||
		resp.HasNext != nil || !sameBytes(resp.Data, raw.data) {
		b, err := json.Marshal(resp)
		if err != nil {
			// Only a broken marshaler gets here; gqlgen panics, the recover
			// middleware answers 500.
			panic(err)
		}
		w.Write(b)
		return
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
	w.Write(append(b, '}'))
}

// sameBytes reports whether a and b are the same slice.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
