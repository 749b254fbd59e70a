// Package playground serves the GraphiQL GraphQL IDE from assets embedded in
// the binary, so it works without any internet access.
//
// The page and its assets use a fixed layout relative to the mount point:
//
//	/                               the HTML page
//	/playground/assets/<file>       the embedded JavaScript and CSS
//
// The page refers to its assets with relative URLs ("playground/assets/..."),
// so the handler can be mounted at the root of a mux
//
//	mux.Handle("GET /{$}", h)
//	mux.Handle("GET /playground/", h)
//
// or below a prefix with http.StripPrefix (the page URL must then end in "/").
//
// The assets are the GraphiQL 3.9.0 and React 18.3.1 browser bundles from npm;
// assets/fetch.sh documents and reproduces how they were fetched.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"path"
	"strings"
	"time"
)

// Options configures the page.
type Options struct {
	// Title is the page title. Defaults to "GraphiQL".
	Title string
	// Endpoint is the path of the GraphQL endpoint on the same origin, e.g.
	// "/graphql" (the default). The page's Content-Security-Policy only allows
	// requests to its own origin.
	Endpoint string
	// DefaultQuery is the query shown in the editor when the user has no
	// saved tabs.
	DefaultQuery string
	// DefaultHeaders are request headers pre-filled in the headers editor
	// (e.g. {"X-Auth-Token": "..."}); may be empty. They are sent with every
	// request, including schema introspection, and are never saved in the
	// browser's local storage; but anyone who can load the page can read them.
	DefaultHeaders map[string]string
}

// assetsPath is the URL path of the assets relative to the page.
const assetsPath = "playground/assets/"

// Asset files, in load order. The names carry the npm package versions so
// they can be cached forever; they must match the files written by
// assets/fetch.sh.
var (
	scripts = []string{
		"react-18.3.1.production.min.js",
		"react-dom-18.3.1.production.min.js",
		"graphiql-3.9.0.min.js",
	}
	styles = []string{"graphiql-3.9.0.min.css"}
)

//go:embed assets/*.js assets/*.css
var assets embed.FS

// bootstrap is the inline script that renders GraphiQL from the configuration
// in the JSON data block. It is static so that the Content-Security-Policy can
// allow it by hash.
//
//go:embed bootstrap.js
var bootstrap string

// page is the HTML page. The configuration is rendered in a JavaScript
// context, where html/template JSON-encodes it and escapes "<", ">" and "&",
// so no value can close the script element.
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}{{range .Scripts}}<script src="{{.}}"></script>
{{end}}</head>
<body>
<div id="graphiql">Loading…</div>
<script id="graphiql-config" type="application/json">{{.Config}}</script>
<script>{{.Bootstrap}}</script>
</body>
</html>
`))

// csp allows only same-origin scripts (plus the bootstrap script by hash),
// styles and requests. GraphiQL sets inline styles and its CSS inlines fonts
// and images as data: URLs.
var csp = func() string {
	sum := sha256.Sum256([]byte(bootstrap))
	return "default-src 'none'; " +
		"script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"style-src 'self' 'unsafe-inline'; " +
		"font-src 'self' data:; img-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
}()

// Handler returns an http.Handler that serves the GraphiQL page at "/" and the
// embedded assets under "/playground/assets/"; see the package documentation.
// Any other path is answered with 404 Not Found.
func Handler(opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	data := struct {
		Title           string
		Styles, Scripts []string
		Config          any
		Bootstrap       template.JS
	}{
		Title:     opts.Title,
		Bootstrap: template.JS(bootstrap),
		Config: struct {
			Endpoint string            `json:"endpoint"`
			Query    string            `json:"query"`
			Headers  map[string]string `json:"headers,omitempty"`
		}{opts.Endpoint, opts.DefaultQuery, opts.DefaultHeaders},
	}
	for _, name := range styles {
		data.Styles = append(data.Styles, assetsPath+name)
	}
	for _, name := range scripts {
		data.Scripts = append(data.Scripts, assetsPath+name)
	}
	var html bytes.Buffer
	if err := page.Execute(&html, data); err != nil {
		panic("playground: rendering page: " + err.Error()) // cannot happen: all fields are strings
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name, isAsset := strings.CutPrefix(r.URL.Path, "/"+assetsPath)
		switch {
		case isAsset:
			serveAsset(w, r, name)
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Security-Policy", csp)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Write(html.Bytes())
		default:
			http.NotFound(w, r)
		}
	})
}

// serveAsset serves the embedded asset name with a long-lived cache header;
// the file names are versioned.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	contentType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}[path.Ext(name)]
	b, err := assets.ReadFile("assets/" + name)
	if contentType == "" || strings.Contains(name, "/") || err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
