// Package headerhook lets a handler's middleware add response headers
// that depend on what the handler did (a write's position, a throttle's
// wait): they are set just before the headers go out, on the first
// WriteHeader or Write.
package headerhook

import "net/http"

// Writer is an http.ResponseWriter that calls before once, with the
// response's headers, before they are sent.
type Writer struct {
	http.ResponseWriter
	before func(http.Header)
	sent   bool
}

// New wraps w so that before runs once, just before the headers are sent.
func New(w http.ResponseWriter, before func(http.Header)) *Writer {
	return &Writer{ResponseWriter: w, before: before}
}

func (w *Writer) WriteHeader(code int) {
	w.hook()
	w.ResponseWriter.WriteHeader(code)
}

func (w *Writer) Write(b []byte) (int, error) {
	w.hook()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushes).
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *Writer) hook() {
	if !w.sent {
		w.sent = true
		w.before(w.Header())
	}
}
