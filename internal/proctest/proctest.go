// Package proctest runs this module's server as a real process for tests
// that need one outside the test binary: an upstream BigCommerce-style
// store for the facade and its client. The binary is built once per test
// process from the module's root package.
package proctest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Binary builds the server once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			buildErr = err
			return
		}
		binDir, buildErr = os.MkdirTemp("", "customers-proc-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "customers")
		args := []string{"build", "-o", binPath}
		if RaceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = strings.TrimSpace(string(root))
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// UseBinary makes Binary return path, already built, instead of building;
// under the race detector it does nothing, and Binary builds with it.
func UseBinary(path func() string) {
	if !RaceEnabled {
		p := path()
		buildOnce.Do(func() { binPath = p })
	}
}

// Cleanup removes the built binary; call it from TestMain after m.Run.
func Cleanup() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// Run runs the binary with args to completion and returns its stdout.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	bin := Binary(t) // a build is not the command's time
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errs.String())
	}
	return out.String()
}

// Token creates an API token with scopes in the database file db.
func Token(t testing.TB, db string, scopes ...string) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"store_v2_customers"}
	}
	return strings.TrimSpace(Run(t, "token", "create", "-db", db, "-scopes", strings.Join(scopes, ","), "-name", "test"))
}

// Server is a running server process.
type Server struct {
	URL    string // http://127.0.0.1:port
	cmd    *exec.Cmd
	stderr *Buffer
	done   chan struct{}
}

// Start starts the binary with args (which should include -addr
// 127.0.0.1:0 and -db) and env added to the test's environment, and waits
// until it listens. The process is killed when the test ends.
func Start(t testing.TB, env []string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	s := &Server{cmd: cmd, stderr: &Buffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Kill()
		if strings.Contains(s.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("a data race in %v:\n%s", args, s.stderr.String())
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if u, ok := ServerURL(sc.Text()); ok {
				urls <- u
			}
		}
	}()
	select {
	case s.URL = <-urls:
	case <-s.done:
		t.Fatalf("the server exited: %s", s.stderr.String())
	case <-time.After(time.Minute):
		t.Fatalf("the server did not start: %s", s.stderr.String())
	}
	return s
}

// Stderr is what the process wrote to stderr so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Stop sends SIGINT and waits for the process to end.
func (s *Server) Stop() {
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
}

// Kill ends the process at once (SIGKILL) and waits for it.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ServerURL reads the server's base URL (no trailing slash) from the line
// serve prints once it listens: "GraphQL playground: http://ADDR/", or
// "GraphQL API: http://ADDR/graphql" when the playground is off.
func ServerURL(line string) (string, bool) {
	if u, ok := strings.CutPrefix(line, "GraphQL playground: "); ok {
		return strings.TrimSuffix(u, "/"), true
	}
	if u, ok := strings.CutPrefix(line, "GraphQL API: "); ok {
		return strings.TrimSuffix(u, "/graphql"), true
	}
	return "", false
}
