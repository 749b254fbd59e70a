package playground

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var testOptions = Options{
	Title:          "Customers API",
	Endpoint:       "/graphql",
	DefaultQuery:   "query Customer {\n  customer(id: \"1\") { name }\n}",
	DefaultHeaders: map[string]string{"X-Auth-Token": "secret-token"},
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func getPage(t *testing.T, opts Options) (*httptest.ResponseRecorder, string) {
	t.Helper()
	rec := get(t, Handler(opts), http.MethodGet, "/")
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Fatalf("GET / status = %d, want %d", got, want)
	}
	return rec, rec.Body.String()
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	scriptSrcRE = regexp.MustCompile(`<script src="([^"]*)"`)
	assetRefRE  = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	inlineRE    = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	configRE    = regexp.MustCompile(`(?s)<script id="graphiql-config" type="application/json">(.*?)</script>`)
)

// configBlock returns the JSON in the page's configuration data block.
func configBlock(t *testing.T, body string) string {
	t.Helper()
	m := configRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page has no config block:\n%s", body)
	}
	return strings.TrimSpace(m[1])
}

func TestPage(t *testing.T) {
	rec, body := getPage(t, testOptions)
	for _, tt := range []struct{ header, want string }{
		{"Content-Type", "text/html; charset=utf-8"},
		{"Cache-Control", "no-cache"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := rec.Header().Get(tt.header); got != tt.want {
			t.Fatalf("%s = %q, want %q", tt.header, got, tt.want)
		}
	}
	for _, tt := range []struct{ name, want string }{
		{"title", "<title>Customers API</title>"},
		{"endpoint", `"endpoint":"/graphql"`},
		{"default query", `"query":` + jsonString(t, testOptions.DefaultQuery)},
		{"default headers", `"headers":{"X-Auth-Token":"secret-token"}`},
		{"graphiql css", `<link rel="stylesheet" href="playground/assets/graphiql-3.9.0.min.css">`},
		{"graphiql options", "defaultHeaders: headers"},
		{"no persisted headers", "shouldPersistHeaders: false"},
	} {
		if got := strings.Contains(body, tt.want); !got {
			t.Fatalf("page does not contain %s %q:\n%s", tt.name, tt.want, body)
		}
	}
	srcs := scriptSrcRE.FindAllStringSubmatch(body, -1)
	if got, want := len(srcs), len(scripts); got != want {
		t.Fatalf("page has %d <script src>, want %d", got, want)
	}
	for _, m := range srcs {
		if got, want := strings.HasPrefix(m[1], "playground/assets/"), true; got != want {
			t.Fatalf("script src %q is not a local asset path", m[1])
		}
	}
}

func TestPageDefaults(t *testing.T) {
	_, body := getPage(t, Options{})
	if got, want := strings.Contains(body, "<title>GraphiQL</title>"), true; got != want {
		t.Fatalf("page contains default title = %v, want %v:\n%s", got, want, body)
	}
	if got, want := configBlock(t, body), `{"endpoint":"/graphql","query":""}`; got != want {
		t.Fatalf("config block = %s, want %s", got, want)
	}
}

func TestCSP(t *testing.T) {
	rec, body := getPage(t, testOptions)
	csp := rec.Header().Get("Content-Security-Policy")
	inline := inlineRE.FindAllStringSubmatch(body, -1)
	if got, want := len(inline), 1; got != want {
		t.Fatalf("page has %d inline scripts, want %d", got, want)
	}
	sum := sha256.Sum256([]byte(inline[0][1]))
	for _, want := range []string{
		"default-src 'none'",
		"script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';",
		"style-src 'self' 'unsafe-inline'",
		"connect-src 'self'",
	} {
		if got := strings.Contains(csp, want); !got {
			t.Fatalf("Content-Security-Policy %q does not contain %q", csp, want)
		}
	}
}

func TestScriptEscaping(t *testing.T) {
	const evil = `</script><script>alert(1)</script><!--`
	opts := Options{
		Title:          evil,
		DefaultQuery:   evil,
		DefaultHeaders: map[string]string{"X-Evil": evil},
	}
	_, body := getPage(t, opts)
	for _, tt := range []struct {
		name string
		got  int
		want int
	}{
		{"<script>alert", strings.Count(body, "<script>alert"), 0},
		{"<!--", strings.Count(body, "<!--"), 0},
		{"</script>", strings.Count(body, "</script>"), strings.Count(body, "<script")},
	} {
		if tt.got != tt.want {
			t.Fatalf("page contains %q %d times, want %d:\n%s", tt.name, tt.got, tt.want, body)
		}
	}
	var config struct {
		Query   string
		Headers map[string]string
	}
	if err := json.Unmarshal([]byte(configBlock(t, body)), &config); err != nil {
		t.Fatalf("config block: %v", err)
	}
	if got, want := config.Query, evil; got != want {
		t.Fatalf("config query = %q, want %q", got, want)
	}
	if got, want := config.Headers["X-Evil"], evil; got != want {
		t.Fatalf("config header = %q, want %q", got, want)
	}
}

func TestAssets(t *testing.T) {
	h := Handler(testOptions)
	_, body := getPage(t, testOptions)
	refs := assetRefRE.FindAllStringSubmatch(body, -1)
	if got, want := len(refs), len(scripts)+len(styles)+1; got != want { // +1: the data: favicon
		t.Fatalf("page references %d assets, want %d", got, want)
	}
	for _, m := range refs {
		ref := m[1]
		if ref == "data:," {
			continue
		}
		wantType := map[bool]string{
			true:  "text/javascript; charset=utf-8",
			false: "text/css; charset=utf-8",
		}[strings.HasSuffix(ref, ".js")]
		rec := get(t, h, http.MethodGet, "/"+ref)
		if got, want := rec.Code, http.StatusOK; got != want {
			t.Fatalf("GET /%s status = %d, want %d", ref, got, want)
		}
		if got, want := rec.Header().Get("Content-Type"), wantType; got != want {
			t.Fatalf("GET /%s Content-Type = %q, want %q", ref, got, want)
		}
		if got, want := rec.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Fatalf("GET /%s Cache-Control = %q, want %q", ref, got, want)
		}
		if got, want := rec.Body.Len() > 10_000, true; got != want {
			t.Fatalf("GET /%s size = %d bytes, want > 10000", ref, rec.Body.Len())
		}
	}
}

func TestNotFound(t *testing.T) {
	h := Handler(testOptions)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/playground/assets/unknown.js", http.StatusNotFound},
		{http.MethodGet, "/playground/assets/", http.StatusNotFound},
		{http.MethodGet, "/playground/assets/fetch.sh", http.StatusNotFound},
		{http.MethodGet, "/playground/assets/LICENSE.react", http.StatusNotFound},
		{http.MethodGet, "/playground/assets/x/../graphiql-3.9.0.min.js", http.StatusNotFound},
		{http.MethodGet, "/playground/", http.StatusNotFound},
		{http.MethodGet, "/other", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodHead, "/playground/assets/graphiql-3.9.0.min.css", http.StatusOK},
	} {
		if got := get(t, h, tt.method, tt.path).Code; got != tt.want {
			t.Fatalf("%s %s status = %d, want %d", tt.method, tt.path, got, tt.want)
		}
	}
}

// allowedURLs are the http(s) URLs in the assets that the browser never loads:
// XML namespace names, and links in license comments and error messages.
var allowedURLs = []string{
	"http://www.w3.org/",
	"https://github.com/",
	"https://reactjs.org/docs/error-decoder.html",
	"https://en.wikipedia.org/",
	"https://commonmark.org/",
	"https://codemirror.net/",
}

var urlRE = regexp.MustCompile(`https?://[^\s"'<>()\\]+`)

func TestNoExternalURLs(t *testing.T) {
	_, body := getPage(t, testOptions)
	files := map[string]string{"page": body}
	err := fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(files), 1+len(scripts)+len(styles); got != want {
		t.Fatalf("scanned %d files, want %d", got, want)
	}
	for name, content := range files {
		for _, bad := range []string{"cdn.jsdelivr", "unpkg.com", "fonts.googleapis", "fonts.gstatic", "cdnjs", "esm.sh", "sourceMappingURL"} {
			if got, want := strings.Contains(content, bad), false; got != want {
				t.Fatalf("%s contains %q", name, bad)
			}
		}
		for _, u := range urlRE.FindAllString(content, -1) {
			allowed := false
			for _, prefix := range allowedURLs {
				allowed = allowed || strings.HasPrefix(u, prefix)
			}
			if got, want := allowed, true; got != want {
				t.Fatalf("%s contains URL %q that is not known to be harmless", name, u)
			}
		}
	}
}
