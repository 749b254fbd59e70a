package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/storefront/customers/internal/proctest"
	"github.com/storefront/customers/storage"
)

// The command line as people run it: the built binary, in a process of
// its own, with an environment of the test's choosing.

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// binary builds the command once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "customers-cli-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, programName)
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// removeBinary deletes the built binary (from TestMain).
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// configVars are the variables the command reads; the tests' processes
// get none of them unless a test sets them.
var configVars = regexp.MustCompile(`^(ADDR|DB_PATH|DATABASE_URL|DATABASE_READ_URL|DEMO|UPSTREAM|UPSTREAM_TOKEN|PUBLIC_URL|UPSTREAM_[A-Z_]+|INTROSPECTION|PLAYGROUND|CORS_ORIGINS|SHOPPER_TOKEN_TTL|STORE_ID|STORE_HASH|` +
	`WEBHOOK_FIRST_RETRY|WEBHOOK_DEACTIVATE_AFTER|WEBHOOK_TIMEOUT|READ_HEADER_TIMEOUT|COMPILED_READS|COST_BUDGET|COST_RESTORE|MAX_QUERY_COST|` +
	`MAX_DEPTH|LOG_FORMAT|LOG_LEVEL|OTEL_[A-Z_]+)=`)

// cliEnv is the test process's environment without the command's
// variables, plus env ("KEY=value").
func cliEnv(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !configVars.MatchString(kv) {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// cliResult is what a finished command printed and its exit status.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary in dir with args, env and stdin, and waits for it.
func runCLI(t *testing.T, dir string, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Dir = dir
	cmd.Env = cliEnv(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{out.String(), errs.String(), code}
}

// cliServer is a server process started from the binary.
type cliServer struct {
	url    string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
}

// startCLIServer starts the binary with args and env and waits until it
// listens.
func startCLIServer(t *testing.T, dir string, env []string, args ...string) *cliServer {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = cliEnv(env...)
	s := &cliServer{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.stdout.Write([]byte(sc.Text() + "\n"))
			if u, ok := proctest.ServerURL(sc.Text()); ok {
				urls <- u
			}
		}
	}()
	select {
	case s.url = <-urls:
	case <-time.After(time.Minute):
		t.Fatalf("the server did not start: %s", s.stderr.String())
	}
	s.url = strings.Replace(s.url, "[::]", "127.0.0.1", 1)
	return s
}

// stop sends SIGINT and returns the exit status.
func (s *cliServer) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := s.cmd.Wait()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	return 0
}

// query posts a GraphQL query with the headers and decodes the answer.
func (s *cliServer) query(t *testing.T, q string, header map[string]string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCLI_Help: help at every level, by -h and by the help command, exits
// 0, shows the command's usage and examples, and the root lists every
// command.
func TestCLI_Help(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := runCLI(t, dir, nil, "", "-h")
	if root.code != 0 {
		t.Fatalf("-h: exit %d: %s", root.code, root.stderr)
	}
	for _, cmd := range []string{"serve", "token", "import", "export", "dump", "restore", "migrate", "help", "completion"} {
		if !regexp.MustCompile(`(?m)^   ` + cmd + `\b`).MatchString(root.stdout) {
			t.Errorf("-h does not list %s:\n%s", cmd, root.stdout)
		}
	}
	if r := runCLI(t, dir, nil, "", "help"); r.code != 0 || r.stdout != root.stdout {
		t.Errorf("help: exit %d, or not the same as -h", r.code)
	}
	for _, tt := range []struct {
		args  []string
		usage string
	}{
		{[]string{"serve", "-h"}, "customers [serve] [-addr HOST:PORT]"},
		{[]string{"-demo", "-h"}, "customers [serve] [-addr HOST:PORT]"},
		{[]string{"help", "serve"}, "customers [serve] [-addr HOST:PORT]"},
		{[]string{"token", "-h"}, "customers token create|list|revoke"},
		{[]string{"token", "create", "-h"}, "customers token create -scopes SCOPE[,SCOPE] [-name NAME]"},
		{[]string{"help", "token", "create"}, "customers token create -scopes SCOPE[,SCOPE] [-name NAME]"},
		{[]string{"token", "list", "-h"}, "customers token list [-db FILE]"},
		{[]string{"token", "revoke", "-h"}, "customers token revoke [-db FILE] ID"},
		{[]string{"import", "-h"}, "customers import [-db FILE] [FILE.jsonl]"},
		{[]string{"export", "-h"}, "customers export [-db FILE]"},
		{[]string{"dump", "-h"}, "customers dump [-db FILE]"},
		{[]string{"restore", "-h"}, "customers restore [-db FILE] [FILE.jsonl]"},
		{[]string{"migrate", "status", "-h"}, "customers migrate status [-db FILE]"},
		{[]string{"help", "migrate", "status"}, "customers migrate status [-db FILE]"},
		{[]string{"completion", "-h"}, "customers completion"},
	} {
		r := runCLI(t, dir, nil, "", tt.args...)
		if r.code != 0 || !strings.Contains(r.stdout, tt.usage) || !strings.Contains(r.stdout, "Example") {
			t.Errorf("%v: exit %d, want 0 with %q and examples:\n%s%s", tt.args, r.code, tt.usage, r.stdout, r.stderr)
		}
	}
	// A flag's usage is shown as written: "-name NAME", with no part of it
	// taken for a placeholder.
	r := runCLI(t, dir, nil, "", "token", "create", "-h")
	if !strings.Contains(r.stdout, "-name NAME\n      a name to tell the token by in the token list") {
		t.Errorf("token create -h:\n%s", r.stdout)
	}
	// Every serve flag shows its variable and default.
	r = runCLI(t, dir, nil, "", "serve", "-h")
	for _, want := range []string{"(default 127.0.0.1:8080; env ADDR)", "(default customers.db; env DB_PATH, DATABASE_URL)", "(env DEMO)",
		"(default 1h; env SHOPPER_TOKEN_TTL)", "(default 5s; env WEBHOOK_FIRST_RETRY)", "(default 48h; env WEBHOOK_DEACTIVATE_AFTER)",
		"(default 250000; env COST_BUDGET)", "(default 25000; env COST_RESTORE)", "(default 100000; env MAX_QUERY_COST)",
		"(default 15; env MAX_DEPTH)", "(default json; env LOG_FORMAT)", "(default info; env LOG_LEVEL)"} {
		if !strings.Contains(strings.ReplaceAll(r.stdout, "\n      ", " "), want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
	if r := runCLI(t, dir, nil, "", "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "complete") {
		t.Errorf("completion bash: exit %d\n%s", r.code, r.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("help created %v", entries)
	}
}

// TestCLI_WrongCommandLines: each is refused with exit 2, a one-line
// reason naming the flag, variable or command, and no file touched.
func TestCLI_WrongCommandLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"TokenWithoutScopes", nil, []string{"token", "create", "-db", "new.db"}, "-scopes: Give at least one scope"},
		{"UnknownScope", nil, []string{"token", "create", "-db", "new.db", "-scopes", "admin"}, `-scopes: "admin" is not a scope`},
		{"NegativeTokenBudget", nil, []string{"token", "create", "-db", "new.db", "-scopes", storage.ScopeRead, "-cost-budget", "-1"},
			"-cost-budget: A cost budget is 0 (unlimited) or more"},
		{"MistypedCommand", nil, []string{"toekn", "list"}, `unknown command "toekn"; did you mean "token"?`},
		{"UnknownFlag", nil, []string{"-nope"}, "flag provided but not defined: -nope"},
		{"ServeArgument", nil, []string{"serve", "-db", "new.db", "extra"}, `unexpected argument "extra"`},
		{"BadFlagValue", nil, []string{"-db", "new.db", "-max-depth", "0"}, `-max-depth "0": want 1 or more`},
		{"BadBoolFlag", nil, []string{"-db", "new.db", "-demo=maybe"}, `-demo "maybe": want true or false`},
		{"BadBoolVariable", []string{"INTROSPECTION=nope"}, []string{"-db", "new.db"},
			`INTROSPECTION="nope": want true or false (the environment variable of -introspection)`},
		{"BadDemoVariable", []string{"DEMO=yes please"}, []string{"-db", "new.db"}, `DEMO="yes please": want true or false`},
		{"BadDurationVariable", []string{"SHOPPER_TOKEN_TTL=5"}, []string{"-db", "new.db"}, `SHOPPER_TOKEN_TTL="5": want a duration`},
		{"BadLogFormat", []string{"LOG_FORMAT=xml"}, []string{"-db", "new.db"}, `LOG_FORMAT="xml": want json or text`},
		{"BadLogLevel", nil, []string{"-db", "new.db", "-log-level", "loud"}, `-log-level "loud": want debug, info, warn or error`},
		{"NegativeBudgetVariable", []string{"COST_BUDGET=-1"}, []string{"-db", "new.db"}, `COST_BUDGET="-1": want 0 or more`},
		{"RevokeWithoutID", nil, []string{"token", "revoke", "-db", "new.db"}, "give one token id"},
		{"ImportTwoFiles", nil, []string{"import", "-db", "new.db", "a", "b"}, "import takes one file, not 2"},
		{"HelpForNothing", nil, []string{"help", "tokens"}, `no help for "tokens"; did you mean "token"?`},
		{"UpstreamWithoutToken", nil, []string{"-db", "new.db", "-upstream", "https://api.bigcommerce.com/stores/abc"}, "-upstream needs -upstream-token"},
		{"UpstreamNotHTTP", []string{"UPSTREAM_TOKEN=t"}, []string{"-db", "new.db", "-upstream", "ftp://example.com/stores/abc"}, "upstream: the URL must be an absolute http(s) URL"},
		{"UpstreamPrivate", []string{"UPSTREAM_TOKEN=t"}, []string{"-db", "new.db", "-upstream", "http://127.0.0.1:9/stores/abc"}, "upstream: the URL must"},
		{"BadPublicURL", []string{"UPSTREAM_TOKEN=t"}, []string{"-db", "new.db", "-upstream", "https://api.bigcommerce.com/stores/abc", "-public-url", "nowhere"}, "-public-url: want"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, tt.env, "", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line with %q", r.code, r.stderr, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Fatalf("a refused command line created %v", entries)
			}
		})
	}
	// Commands that read a store refuse a missing one rather than make it.
	for _, args := range [][]string{{"token", "list"}, {"token", "revoke", "1"}, {"export"}, {"dump"}, {"migrate", "status"}} {
		r := runCLI(t, dir, nil, "", append(args, "-db", "missing.db")...)
		if r.code != exitFailed || !strings.Contains(r.stderr, "there is no store at missing.db") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("reading a missing store created %v", entries)
	}
}

// TestCLI_EarlierInvocations: the command lines that README and scripts
// used before the command line moved to a library work unchanged.
func TestCLI_EarlierInvocations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startCLIServer(t, dir, nil, "-demo", "-db", "x.db", "-addr", "127.0.0.1:0")
	token := demoToken.FindStringSubmatch(s.stdout.String())
	if token == nil {
		t.Fatalf("-demo printed no token: %s", s.stdout.String())
	}
	out := s.query(t, `{ customers(limit: 1) { pagination { total } } }`, map[string]string{"X-Auth-Token": token[1]})
	if out["errors"] != nil {
		t.Fatal(out["errors"])
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serving ended with %d: %s", code, s.stderr.String())
	}

	r := runCLI(t, dir, nil, "", "token", "create", "-db", "x.db", "-scopes", storage.ScopeRead, "-name", "dashboard")
	if r.code != 0 || !regexp.MustCompile(`^cust_\S+\n$`).MatchString(r.stdout) {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, dir, nil, "", "token", "list", "-db", "x.db")
	if r.code != 0 || !strings.Contains(r.stdout, "dashboard") || !strings.Contains(r.stdout, "COST BUDGET") {
		t.Fatalf("token list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, dir, nil, "", "token", "revoke", "-db", "x.db", "2")
	if r.code != 0 || r.stderr != "token 2 revoked\n" {
		t.Fatalf("token revoke: exit %d, %q", r.code, r.stderr)
	}
	exp := runCLI(t, dir, nil, "", "export", "-db", "x.db")
	if exp.code != 0 || strings.Count(exp.stdout, "\n") != storage.DemoCustomers {
		t.Fatalf("export: exit %d, %d lines, %s", exp.code, strings.Count(exp.stdout, "\n"), exp.stderr)
	}
	// Env vars still configure serving; the same store, served again.
	s = startCLIServer(t, dir, []string{"DB_PATH=x.db", "ADDR=127.0.0.1:0"}, "serve")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("ADDR not read: %s", s.url)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serving ended with %d", code)
	}
}

// TestCLI_Environment: booleans from the environment parse as booleans,
// flags win over variables, the cost and depth limits and the log format
// come from either.
func TestCLI_Environment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// DEMO=false is false: no demo store, no token.
	s := startCLIServer(t, dir, []string{"DEMO=false", "LOG_FORMAT=text", "INTROSPECTION=0", "MAX_DEPTH=3", "COST_BUDGET=0"},
		"-db", "env.db", "-addr", "127.0.0.1:0")
	if strings.Contains(s.stdout.String(), "X-Auth-Token") {
		t.Fatalf("DEMO=false seeded the demo: %s", s.stdout.String())
	}
	out := s.query(t, `{ __schema { queryType { name } } }`, nil)
	if errs, _ := out["errors"].([]any); len(errs) == 0 {
		t.Fatal("INTROSPECTION=0 left introspection on")
	}
	r := runCLI(t, dir, nil, "", "token", "create", "-db", "env.db", "-scopes", storage.ScopeRead)
	token := strings.TrimSpace(r.stdout)
	out = s.query(t, `{ customers { nodes { group { customers { nodes { id } } } } } }`, map[string]string{"X-Auth-Token": token})
	if !strings.Contains(jsonText(out["errors"]), "COMPLEXITY_LIMIT_EXCEEDED") {
		t.Fatalf("MAX_DEPTH=3 let a 6-deep query through: %v", out)
	}
	out = s.query(t, `{ customers { nodes { id } } }`, map[string]string{"X-Auth-Token": token})
	cost, _ := out["extensions"].(map[string]any)["cost"].(map[string]any)
	if cost == nil || cost["throttleStatus"] != nil {
		t.Fatalf("COST_BUDGET=0: extensions %v, want an unlimited budget (throttleStatus null)", out["extensions"])
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(s.stderr.String(), "level=INFO msg=serving") || strings.Contains(s.stderr.String(), `"msg"`) {
		t.Fatalf("LOG_FORMAT=text: %s", s.stderr.String())
	}

	// A flag wins over its variable; LOG_LEVEL=warn drops the info lines.
	s = startCLIServer(t, dir, []string{"DEMO=true", "LOG_LEVEL=warn", "MAX_DEPTH=3"}, "-db", "env.db", "-addr", "127.0.0.1:0",
		"-demo=false", "-max-depth", "10")
	if strings.Contains(s.stdout.String(), "X-Auth-Token") {
		t.Fatal("-demo=false lost to DEMO=true")
	}
	out = s.query(t, `{ customers { nodes { group { customers { nodes { id } } } } } }`, map[string]string{"X-Auth-Token": token})
	if out["errors"] != nil {
		t.Fatalf("-max-depth 10 lost to MAX_DEPTH=3: %v", out["errors"])
	}
	s.stop(t)
	if strings.Contains(s.stderr.String(), "serving") {
		t.Fatalf("LOG_LEVEL=warn logged info lines: %s", s.stderr.String())
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCLI_DemoTokenOnlyOnLoopback: the playground carries the demo's admin
// token when the server listens on loopback, and not when it listens on
// every address.
func TestCLI_DemoTokenOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		addr      string
		prefilled bool
	}{{"127.0.0.1:0", true}, {"0.0.0.0:0", false}} {
		s := startCLIServer(t, dir, nil, "-demo", "-db", "demo.db", "-addr", tt.addr)
		token := demoToken.FindStringSubmatch(s.stdout.String())
		if token == nil {
			t.Fatalf("%s: no demo token printed", tt.addr)
		}
		res, err := http.Get(s.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := strings.Contains(string(page), token[1]); got != tt.prefilled {
			t.Fatalf("%s: token in the page %v, want %v", tt.addr, got, tt.prefilled)
		}
		if !tt.prefilled && !strings.Contains(s.stdout.String(), "leaves the admin token out") {
			t.Fatalf("%s: not said: %s", tt.addr, s.stdout.String())
		}
		s.stop(t)
	}
}

// TestCLI_PlaygroundOff: with -playground=false the server names its API,
// not a playground it does not serve, and / is not the playground.
func TestCLI_PlaygroundOff(t *testing.T) {
	t.Parallel()
	s := startCLIServer(t, t.TempDir(), nil, "-db", "off.db", "-addr", "127.0.0.1:0", "-playground=false")
	out := s.stdout.String()
	if !strings.Contains(out, "GraphQL API: "+s.url+"/graphql") || strings.Contains(strings.ToLower(out), "playground") {
		t.Fatalf("printed:\n%s", out)
	}
	res, err := http.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusOK && strings.Contains(string(page), "graphiql") {
		t.Fatalf("/ still serves the playground: %d", res.StatusCode)
	}
	s.stop(t)
}

// TestCLI_DumpRestore moves a demo store with webhooks through dump and
// restore, by file and by stdin; the second dump is the same bytes; a
// restore into a full store or of a cut dump changes nothing.
func TestCLI_DumpRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(dir, "src.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDemo(ctx, 200); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: "https://hooks.example.com/a"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, "nightly-sync", []string{storage.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	dump := runCLI(t, dir, nil, "", "dump", "-db", "src.db")
	if dump.code != 0 || !strings.Contains(dump.stderr, "200 customers") || !strings.HasSuffix(dump.stdout, "\n") {
		t.Fatalf("dump: exit %d, %s", dump.code, dump.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "store.jsonl"), []byte(dump.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, nil, "", "restore", "-db", "copy.db", "store.jsonl")
	if r.code != 0 || !regexp.MustCompile(`^webhook 1 https://hooks.example.com/a secret whsec_\S+\n$`).MatchString(r.stdout) {
		t.Fatalf("restore: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if again := runCLI(t, dir, nil, "", "dump", "-db", "copy.db"); again.stdout != dump.stdout {
		t.Fatal("the restored store dumps differently")
	}
	// The token is dumped as its hash, and works in the restored store.
	if strings.Contains(dump.stdout, token) || !strings.Contains(r.stderr, "1 API tokens") {
		t.Fatalf("the dump holds the token, or restore did not bring it: %s", r.stderr)
	}
	copied, err := storage.Open(ctx, filepath.Join(dir, "copy.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := copied.FindToken(ctx, token); err != nil || tok.Name != "nightly-sync" {
		t.Fatalf("the token in the restored store: %+v (%v)", tok, err)
	}
	copied.Close()
	if r := runCLI(t, dir, nil, dump.stdout, "restore", "-db", "stdin.db"); r.code != 0 {
		t.Fatalf("restore from stdin: exit %d, %s", r.code, r.stderr)
	}
	if again := runCLI(t, dir, nil, "", "dump", "-db", "stdin.db"); again.stdout != dump.stdout {
		t.Fatal("the store restored from stdin dumps differently")
	}

	r = runCLI(t, dir, nil, "", "restore", "-db", "copy.db", "store.jsonl")
	if r.code != exitFailed || !strings.Contains(r.stderr, "The store is not empty") {
		t.Fatalf("restore into a full store: exit %d, %q", r.code, r.stderr)
	}
	lines := strings.SplitAfter(dump.stdout, "\n")
	cut := strings.Join(lines[:len(lines)/2], "")
	r = runCLI(t, dir, nil, cut, "restore", "-db", "cut.db")
	if r.code != exitFailed || !regexp.MustCompile(`^error: stdin:\d+: .*cut short.*; nothing was restored\n$`).MatchString(r.stderr) {
		t.Fatalf("restore of a cut dump: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "", "dump", "-db", "cut.db"); !strings.Contains(r.stderr, "0 groups") || !strings.Contains(r.stderr, "0 customers") {
		t.Fatalf("a refused restore left %s", r.stderr)
	}
}

// TestCLI_MigrateStatus lists applied and pending migrations and changes
// nothing.
func TestCLI_MigrateStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := runCLI(t, dir, nil, "", "token", "create", "-db", "m.db", "-scopes", storage.ScopeRead); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := runCLI(t, dir, nil, "", "migrate", "status", "-db", "m.db")
	if r.code != 0 || !regexp.MustCompile(`(?m)^0001_init\.sql\s+applied \d{4}-`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^0006_token_cost_budget\.sql\s+applied`).MatchString(r.stdout) || !strings.Contains(r.stderr, "0 pending") {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	last := regexp.MustCompile(`(?m)^(\d{4}_\w+\.sql)\s+applied`).FindAllStringSubmatch(r.stdout, -1)
	newest := last[len(last)-1][1]
	unapplyLastMigration(t, filepath.Join(dir, "m.db"))
	for range 2 { // status applies nothing
		r = runCLI(t, dir, nil, "", "migrate", "status", "-db", "m.db")
		if r.code != 0 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(newest)+`\s+pending$`).MatchString(r.stdout) ||
			!strings.Contains(r.stderr, "1 pending") {
			t.Fatalf("status with one pending: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
}

// TestCLI_ImportMessages: bad lines are reported as FILE:LINE: reason, in
// line order, and the command exits 1.
func TestCLI_ImportMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	line := func(id, email, extra string) string {
		return `{"id":` + id + `,"email":"` + email + `","first_name":"A","last_name":"B",` + extra +
			`"date_created":"2019-02-19T18:34:16Z","date_modified":"2019-02-20T18:34:16Z"}`
	}
	file := strings.Join([]string{
		line("1", "a@x.io", ""),
		line(`"2"`, "b@x.io", ""),
		line("3", "A@X.IO", ""),
		`{"id": 4,`,
		line("5", "e@x.io", `"frist_name":"E",`),
		strings.Replace(line("6", "f@x.io", ""), `"date_created":"2019-02-19T18:34:16Z",`, "", 1),
		line("7", "g@x.io", ""),
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, nil, "", "import", "-db", "i.db", "in.jsonl")
	want := []string{
		`in.jsonl:2: id: Must be a whole number, not a string. (INVALID)`,
		`in.jsonl:3: email: The email "A@X.IO" is also given to line 1. (CONFLICT)`,
		`in.jsonl:4: The line ends inside its JSON object. (INVALID)`,
		`in.jsonl:5: frist_name: Unknown key; did you mean first_name? (INVALID)`,
		`in.jsonl:6: date_created: Each line keeps its dates; this one is missing. (REQUIRED)`,
		`import: done in `,
	}
	got := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != exitFailed || len(got) != len(want) {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("line %d of stderr: %q, want %q", i+1, got[i], want[i])
		}
	}
	if !strings.Contains(r.stderr, "7 lines, 2 imported, 5 rejected") {
		t.Fatalf("stderr: %s", r.stderr)
	}
}

// TestCLI_App: app create prints the client id and secret, two lines;
// list shows apps without secrets; revoke ends one; a bad command line
// touches no file.
func TestCLI_App(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := runCLI(t, dir, nil, "", "app", "create", "-db", "a.db"); r.code != exitUsage || !strings.Contains(r.stderr, "-name") {
		t.Fatalf("create without a name: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused command line made the store: %v", err)
	}
	r := runCLI(t, dir, nil, "", "app", "create", "-db", "a.db", "-name", "storefront", "-scopes", storage.ScopeRead)
	m := regexp.MustCompile(`^client_id ([a-z2-7]{32})\nclient_secret ([0-9a-f]{64})\n$`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, dir, nil, "", "app", "list", "-db", "a.db")
	if r.code != 0 || !strings.Contains(r.stdout, m[1]) || !strings.Contains(r.stdout, "storefront") ||
		!strings.Contains(r.stdout, storage.ScopeRead) || strings.Contains(r.stdout, m[2]) {
		t.Fatalf("list: exit %d, %q", r.code, r.stdout)
	}
	if r := runCLI(t, dir, nil, "", "app", "revoke", "-db", "a.db", "1"); r.code != 0 {
		t.Fatalf("revoke: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "", "app", "revoke", "-db", "a.db", "1"); r.code != exitFailed {
		t.Fatalf("revoke again: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "", "app", "list", "-db", "a.db"); !regexp.MustCompile(`storefront.*\d{4}-\d\d-\d\dT.*\d{4}-\d\d-\d\dT`).MatchString(r.stdout) {
		t.Fatalf("list after revoke: %q", r.stdout)
	}
}
