// Command load measures the GraphQL server against the hand-written
// baseline (bench/baseline) in one run, over one benchmark database
// (BENCHMARKS.md):
//
//	go run ./bench/load -db /tmp/customers-10k.db -c 8 -d 10s -json /tmp/load-10k.json
//
// It starts two server processes from its own binary, the real GraphQL
// stack and the baseline, each over the file, then for every scenario
// (reference query, customer(id) at random ids, a rare-name search, a plain
// page; bench/suite) warms up and runs a closed loop of -c connections for
// -d against the baseline and against GraphQL, alternating which goes
// first. It prints requests a second, p50, p90 and p99 latency, each
// GraphQL figure as a ratio of the baseline's, the servers' resident memory
// (VmRSS sampled from /proc while serving), and the targets for
// the data set's size; -json writes the same as JSON, -profile a CPU profile
// of each server under each scenario. On a shared machine it also reports
// how many cores other processes used during each measurement ("other"),
// so that a disturbed run shows as one.
//
// The servers are separate processes so that their memory is their own;
// the load generator shares the machine's cores with them, equally for
// both sides. -graphql-url and -token measure an already running server
// instead of starting one (no memory figures then, unless -graphql-pid).
package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/storefront/customers/bench/suite"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

func main() {
	var o options
	flag.StringVar(&o.db, "db", "", "the benchmark database file (required)")
	flag.StringVar(&o.label, "label", "", "the data set's name in results, e.g. 10k (default: from the customer count)")
	flag.IntVar(&o.conc, "c", 8, "connections (closed loop: each sends its next request when the last is answered)")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "how long each side runs each scenario")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up of each side before each scenario")
	flag.IntVar(&o.reps, "reps", 1, "rounds of every scenario; the figures pool all rounds")
	flag.StringVar(&o.scenarios, "scenarios", "reference,customer,rare_name,page", "comma-separated scenarios: reference, customer, rare_name, page")
	flag.IntVar(&o.readConns, "read-conns", 0, "read pool size of both servers (0: the store's default)")
	flag.BoolVar(&o.noTelemetry, "no-telemetry", false, "serve GraphQL without the logging and metrics server.go wraps it in")
	flag.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this file")
	flag.StringVar(&o.profileDir, "profile", "", "write a CPU profile of each server under each scenario into this directory")
	flag.StringVar(&o.graphqlURL, "graphql-url", "", "measure this GraphQL endpoint instead of starting one (needs -token)")
	flag.StringVar(&o.token, "token", "", "with -graphql-url: the API token (X-Auth-Token)")
	flag.IntVar(&o.graphqlPID, "graphql-pid", 0, "with -graphql-url: the server's process id, to sample its memory")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a target of the data set's size is missed")
	flag.BoolVar(&o.rest, "rest", true, "also measure the REST API's form of the scenarios that have one (the reference: V3 GET /customers with include=addresses,storecredit,attributes,formfields), served by the GraphQL server process")
	serveKind := flag.String("serve", "", "internal: run one server (graphql or baseline) and print its address")
	flag.Parse()
	if *serveKind != "" {
		if err := serve(*serveKind, o.db, o.readConns, o.noTelemetry); err != nil {
			fmt.Fprintln(os.Stderr, "load -serve:", err)
			os.Exit(1)
		}
		return
	}
	res, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if o.strict && !res.TargetsMet {
		os.Exit(1)
	}
}

type options struct {
	db, label, scenarios, jsonOut, profileDir, graphqlURL, token string
	conc, reps, readConns, graphqlPID                            int
	dur, warmup                                                  time.Duration
	noTelemetry, strict, rest                                    bool
}

// Results are one run's figures, as -json writes them.
type Results struct {
	Label       string     `json:"label"`
	DB          string     `json:"db"`
	Customers   int        `json:"customers"`
	Concurrency int        `json:"concurrency"`
	DurationS   float64    `json:"duration_s"`
	Reps        int        `json:"reps"`
	GoVersion   string     `json:"go_version"`
	CPUs        int        `json:"cpus"`
	Telemetry   bool       `json:"telemetry"`
	Started     time.Time  `json:"started"`
	Scenarios   []Scenario `json:"scenarios"`
	Targets     []Target   `json:"targets"`
	TargetsMet  bool       `json:"targets_met"`
}

// Scenario holds both sides' figures for one scenario and their ratios.
type Scenario struct {
	Name     string `json:"name"`
	GraphQL  Stats  `json:"graphql"`
	Baseline Stats  `json:"baseline"`
	// ThroughputRatio is GraphQL's requests a second over the baseline's
	// (the "0.16x"); the latency ratios are GraphQL's latency over
	// the baseline's (how many times slower).
	ThroughputRatio float64 `json:"throughput_ratio"`
	P50Ratio        float64 `json:"p50_ratio"`
	P99Ratio        float64 `json:"p99_ratio"`
	// REST holds the REST API's figures for the same read (by the same
	// server process), when the scenario has a REST form; the REST ratios
	// are its latency over GraphQL's, and its throughput over GraphQL's.
	REST                   *Stats  `json:"rest,omitempty"`
	RESTOverGraphQLMean    float64 `json:"rest_over_graphql_mean,omitempty"`
	RESTOverGraphQLP50     float64 `json:"rest_over_graphql_p50,omitempty"`
	RESTOverGraphQLP99     float64 `json:"rest_over_graphql_p99,omitempty"`
	RESTThroughputVsGraphQ float64 `json:"rest_throughput_over_graphql,omitempty"`
}

// Stats are one side's figures for one scenario.
type Stats struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	ReqPerSec  float64 `json:"req_per_s"`
	MeanMs     float64 `json:"mean_ms"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	// RSSMaxMiB and RSSMeanMiB are the server's VmRSS sampled every 100 ms
	// while serving; RSSPeakMiB its VmHWM (the process's peak so far).
	RSSMaxMiB  float64 `json:"rss_max_mib,omitempty"`
	RSSMeanMiB float64 `json:"rss_mean_mib,omitempty"`
	RSSPeakMiB float64 `json:"rss_peak_mib,omitempty"`
	BodyBytes  int     `json:"body_bytes"`
	// OtherCores is how many cores other processes of the machine used,
	// on average, while this side ran (from /proc/stat, less the load
	// generator's and the servers' own CPU time): the noise of the run.
	OtherCores float64 `json:"other_cores"`
}

// Target is one of the targets, checked against a run.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit string  `json:"limit"`
	Met   bool    `json:"met"`
}

// side is one server under test.
type side struct {
	name   string
	base   string // URL prefix
	pid    int
	token  string
	stop   func()
	graphQ bool
	// rest sends the scenarios' REST form to base (the server's root).
	rest bool
}

func run(o options) (*Results, error) {
	if o.db == "" {
		return nil, errors.New("-db is required")
	}
	if _, err := os.Stat(o.db); err != nil {
		return nil, err
	}
	n, err := maxCustomerID(o.db)
	if err != nil {
		return nil, err
	}
	if o.label == "" {
		o.label = sizeLabel(n)
	}
	var scenarios []suite.Scenario
	for _, name := range strings.Split(o.scenarios, ",") {
		sc, ok := suite.ScenarioByName(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q", name)
		}
		scenarios = append(scenarios, sc)
	}
	var gql, base *side
	if o.graphqlURL != "" {
		gql = &side{name: "graphql", base: o.graphqlURL, pid: o.graphqlPID, token: o.token, stop: func() {}, graphQ: true}
	} else if gql, err = start("graphql", o); err != nil {
		return nil, err
	}
	defer gql.stop()
	if base, err = start("baseline", o); err != nil {
		return nil, err
	}
	defer base.stop()

	res := &Results{Label: o.label, DB: o.db, Customers: n, Concurrency: o.conc, DurationS: o.dur.Seconds(), Reps: o.reps,
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Telemetry: !o.noTelemetry, Started: time.Now().UTC()}
	fmt.Printf("data set %s (%d customers), %d connections, %s per side and scenario, %d round(s)\n",
		o.label, n, o.conc, o.dur, o.reps)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * o.conc, MaxIdleConnsPerHost: o.conc,
		MaxConnsPerHost: o.conc, DisableCompression: true, IdleConnTimeout: time.Minute}}
	restSide := &side{name: "rest", base: strings.TrimSuffix(gql.base, "/graphql"), pid: gql.pid, token: gql.token, stop: func() {}, rest: true}
	for _, sc := range scenarios {
		runs := map[string]*runner{"graphql": newRunner(), "baseline": newRunner(), "rest": newRunner()}
		withREST := o.rest && sc.REST != ""
		for rep := range o.reps {
			order := []*side{base, gql}
			if withREST {
				order = append(order, restSide)
			}
			if rep%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				if err := measure(client, s, sc, n, o, runs[s.name], rep, []int{gql.pid, base.pid}); err != nil {
					return nil, fmt.Errorf("%s %s: %w", sc.Name, s.name, err)
				}
			}
		}
		r := Scenario{Name: sc.Name, GraphQL: runs["graphql"].stats(), Baseline: runs["baseline"].stats()}
		r.ThroughputRatio = div(r.GraphQL.ReqPerSec, r.Baseline.ReqPerSec)
		r.P50Ratio = div(r.GraphQL.P50Ms, r.Baseline.P50Ms)
		r.P99Ratio = div(r.GraphQL.P99Ms, r.Baseline.P99Ms)
		if withREST {
			rs := runs["rest"].stats()
			r.REST = &rs
			r.RESTOverGraphQLMean = div(rs.MeanMs, r.GraphQL.MeanMs)
			r.RESTOverGraphQLP50 = div(rs.P50Ms, r.GraphQL.P50Ms)
			r.RESTOverGraphQLP99 = div(rs.P99Ms, r.GraphQL.P99Ms)
			r.RESTThroughputVsGraphQ = div(rs.ReqPerSec, r.GraphQL.ReqPerSec)
		}
		res.Scenarios = append(res.Scenarios, r)
		printScenario(r)
	}
	res.Targets = targets(res)
	res.TargetsMet = true
	if len(res.Targets) > 0 {
		fmt.Printf("targets for %s:\n", o.label)
	}
	for _, t := range res.Targets {
		verdict := "met"
		if !t.Met {
			verdict = "MISSED"
			res.TargetsMet = false
		}
		fmt.Printf("  %-40s %10.2f  (%s)  %s\n", t.Name, t.Value, t.Limit, verdict)
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// sizeLabel names a data set by its size: 10k, 100k, 1M.
func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// maxCustomerID reads the data set's size (ids are 1..n).
func maxCustomerID(path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(id) FROM customers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	if !n.Valid {
		return 0, fmt.Errorf("%s holds no customers", path)
	}
	return int(n.Int64), nil
}

// start runs one server process from this binary and waits for its
// address.
func start(kind string, o options) (*side, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", kind, "-db", o.db, "-read-conns", strconv.Itoa(o.readConns)}
	if o.noTelemetry {
		args = append(args, "-no-telemetry")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	var line string
	buf := make([]byte, 1)
	for {
		if _, err := stdout.Read(buf); err != nil {
			stop()
			return nil, fmt.Errorf("%s server: %w", kind, err)
		}
		if buf[0] == '\n' {
			break
		}
		line += string(buf)
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "LISTEN" {
		stop()
		return nil, fmt.Errorf("%s server said %q", kind, line)
	}
	s := &side{name: kind, base: "http://" + f[1], pid: cmd.Process.Pid, stop: stop, graphQ: kind == "graphql"}
	if s.graphQ {
		if len(f) < 3 {
			stop()
			return nil, errors.New("graphql server printed no token")
		}
		s.base += "/graphql"
		s.token = f[2]
	}
	return s, nil
}

// runner pools the samples of one side over the rounds of a scenario.
type runner struct {
	mu         sync.Mutex
	lat        []time.Duration
	errors     int
	firstError string
	elapsed    time.Duration
	rss        []float64
	peak       float64
	bodyBytes  int
	otherCPU   float64 // core-seconds used by other processes
}

func newRunner() *runner { return &runner{} }

func (r *runner) stats() Stats {
	s := Stats{Requests: len(r.lat), Errors: r.errors, FirstError: r.firstError, BodyBytes: r.bodyBytes, RSSPeakMiB: r.peak}
	if len(r.lat) == 0 {
		return s
	}
	slices.Sort(r.lat)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	q := func(p float64) float64 { return ms(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]) }
	var sum time.Duration
	for _, d := range r.lat {
		sum += d
	}
	s.ReqPerSec = float64(len(r.lat)) / r.elapsed.Seconds()
	s.OtherCores = r.otherCPU / r.elapsed.Seconds()
	s.MeanMs = ms(sum / time.Duration(len(r.lat)))
	s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs = q(0.50), q(0.90), q(0.99), ms(r.lat[len(r.lat)-1])
	for _, v := range r.rss {
		s.RSSMaxMiB = max(s.RSSMaxMiB, v)
		s.RSSMeanMiB += v / float64(len(r.rss))
	}
	return s
}

// measure warms up, then runs one closed loop of o.conc connections for
// o.dur against s, sampling its memory, and adds the samples to r.
func measure(client *http.Client, s *side, sc suite.Scenario, n int, o options, r *runner, rep int, pids []int) error {
	if o.warmup > 0 {
		if _, err := loop(client, s, sc, n, o.conc, o.warmup, uint64(1000+rep), nil); err != nil {
			return err
		}
	}
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		if s.pid == 0 {
			return
		}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := memory(s.pid); err == nil {
				r.mu.Lock()
				r.rss = append(r.rss, rss)
				r.mu.Unlock()
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()
	var profile chan error
	if o.profileDir != "" && o.dur >= 2*time.Second {
		profile = make(chan error, 1)
		go func() { profile <- fetchProfile(s, sc, o, rep) }()
	}
	cpu0 := cpuNow(pids)
	elapsed, err := loop(client, s, sc, n, o.conc, o.dur, uint64(rep), r)
	cpu1 := cpuNow(pids)
	close(stopSampling)
	<-sampled
	if profile != nil {
		if perr := <-profile; perr != nil {
			fmt.Fprintln(os.Stderr, "load: profile:", perr)
		}
	}
	if err != nil {
		return err
	}
	r.elapsed += elapsed
	r.otherCPU += max(0, (cpu1.busy-cpu0.busy)-(cpu1.ours-cpu0.ours))
	if s.pid != 0 {
		if _, hwm, err := memory(s.pid); err == nil {
			r.peak = max(r.peak, hwm)
		}
	}
	return nil
}

// loop runs conc workers, each sending one request after another until d
// has passed, and records every latency in r (nil: warm-up). It returns
// the time the loop took.
func loop(client *http.Client, s *side, sc suite.Scenario, n, conc int, d time.Duration, seed uint64, r *runner) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	errc := make(chan error, conc)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			lat := make([]time.Duration, 0, 4096)
			var errs, body int
			var firstErr string
			buf := new(bytes.Buffer)
			for time.Now().Before(deadline) {
				vars, path := sc.Next(rng, n)
				var req *http.Request
				switch {
				case s.rest:
					req, _ = http.NewRequest("GET", s.base+sc.REST, nil)
					req.Header.Set("Accept", "application/json")
					req.Header.Set("X-Auth-Token", s.token)
				case s.graphQ:
					req, _ = http.NewRequest("POST", s.base, bytes.NewReader(suite.Body(sc.Query, vars)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Auth-Token", s.token)
				default:
					req, _ = http.NewRequest("GET", s.base+path, nil)
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					errc <- err
					return
				}
				buf.Reset()
				_, err = io.Copy(buf, res.Body)
				res.Body.Close()
				took := time.Since(t0)
				if err != nil {
					errc <- err
					return
				}
				lat = append(lat, took)
				body = buf.Len()
				if res.StatusCode != 200 || (s.graphQ && bytes.Contains(buf.Bytes(), []byte(`"errors":`))) {
					errs++
					if firstErr == "" {
						firstErr = fmt.Sprintf("status %d: %.300s", res.StatusCode, buf.Bytes())
					}
				}
			}
			if r != nil {
				r.mu.Lock()
				r.lat = append(r.lat, lat...)
				r.errors += errs
				if r.firstError == "" {
					r.firstError = firstErr
				}
				r.bodyBytes = max(r.bodyBytes, body)
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return elapsed, err
	default:
	}
	return elapsed, nil
}

// cpuSample is the machine's busy CPU time and this run's own (the load
// process and the servers), in core-seconds.
type cpuSample struct{ busy, ours float64 }

// clockTick is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTick = 100

// cpuNow reads /proc/stat and the CPU times of this process and pids; on
// a system without /proc it returns zeros.
func cpuNow(pids []int) cpuSample {
	var c cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f[1:] {
			if i == 3 || i == 4 || i > 7 {
				continue // idle, iowait, guest
			}
			x, _ := strconv.ParseFloat(v, 64)
			c.busy += x / clockTick
		}
	}
	for _, pid := range append([]int{os.Getpid()}, pids...) {
		if pid == 0 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th.
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		s, _ := strconv.ParseFloat(f[12], 64)
		c.ours += (u + s) / clockTick
	}
	return c
}

// memory reads a process's VmRSS and VmHWM in MiB.
func memory(pid int) (rss, hwm float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

// fetchProfile takes a CPU profile of the server for most of the run.
func fetchProfile(s *side, sc suite.Scenario, o options, rep int) error {
	base := strings.TrimSuffix(s.base, "/graphql")
	secs := max(1, int(o.dur.Seconds())-1)
	res, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s-%d.pprof", o.label, sc.Name, s.name, rep)
	f, err := os.Create(filepath.Join(o.profileDir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

func printScenario(r Scenario) {
	fmt.Printf("\n%s\n", r.Name)
	fmt.Printf("  %-9s %9s %8s %8s %8s %8s %7s %9s %7s\n", "side", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "RSS MiB", "other")
	for _, x := range []struct {
		name string
		s    Stats
	}{{"baseline", r.Baseline}, {"graphql", r.GraphQL}, {"rest", restStats(r)}} {
		if x.name == "rest" && r.REST == nil {
			continue
		}
		fmt.Printf("  %-9s %9.1f %8.2f %8.2f %8.2f %8.1f %7d %9.1f %7.2f\n", x.name, x.s.ReqPerSec, x.s.P50Ms, x.s.P90Ms, x.s.P99Ms,
			x.s.MaxMs, x.s.Errors, x.s.RSSMaxMiB, x.s.OtherCores)
		if x.s.FirstError != "" {
			fmt.Printf("    first error: %s\n", x.s.FirstError)
		}
	}
	fmt.Printf("  graphql/baseline: throughput %.2fx, p50 %.2fx, p99 %.2fx (other: cores used by other processes)\n", r.ThroughputRatio, r.P50Ratio, r.P99Ratio)
	if r.REST != nil {
		fmt.Printf("  rest/graphql latency: mean %.2fx, p50 %.2fx, p99 %.2fx; throughput %.2fx\n", r.RESTOverGraphQLMean,
			r.RESTOverGraphQLP50, r.RESTOverGraphQLP99, r.RESTThroughputVsGraphQ)
	}
}

// restStats returns the REST figures of a scenario, or none.
func restStats(r Scenario) Stats {
	if r.REST == nil {
		return Stats{}
	}
	return *r.REST
}

// targets are the targets for the run's data set size: 10k for
// stores up to 20,000 customers, 1M from 900,000.
func targets(res *Results) []Target {
	get := func(name string) *Scenario {
		for i := range res.Scenarios {
			if res.Scenarios[i].Name == name {
				return &res.Scenarios[i]
			}
		}
		return nil
	}
	var out []Target
	add := func(name string, v float64, limit string, met bool) {
		out = append(out, Target{Name: name, Value: v, Limit: limit, Met: met})
	}
	if s := get("reference"); s != nil && s.REST != nil {
		add("REST reference mean latency vs GraphQL", s.RESTOverGraphQLMean, "<= 1.2x, no errors",
			s.RESTOverGraphQLMean <= 1.2 && s.REST.Errors == 0)
	}
	switch {
	case res.Customers <= 20_000:
		if s := get("reference"); s != nil {
			add("reference throughput vs baseline", s.ThroughputRatio, ">= 0.7x", s.ThroughputRatio >= 0.7)
			add("reference p99 ms", s.GraphQL.P99Ms, "< 25 ms", s.GraphQL.P99Ms < 25)
		}
	case res.Customers >= 900_000:
		if s := get("customer"); s != nil {
			add("customer(id) p50 ms", s.GraphQL.P50Ms, "< 1 ms", s.GraphQL.P50Ms < 1)
		}
		if s := get("reference"); s != nil {
			add("reference p50 ms", s.GraphQL.P50Ms, "< 15 ms", s.GraphQL.P50Ms < 15)
		}
		if s := get("rare_name"); s != nil {
			add("nameLike rare name p50 ms", s.GraphQL.P50Ms, "< 20 ms", s.GraphQL.P50Ms < 20)
		}
		var rss float64
		for _, s := range res.Scenarios {
			rss = max(rss, s.GraphQL.RSSMaxMiB)
		}
		if rss > 0 {
			add("GraphQL server RSS MiB while serving", rss, "< 200 MiB", rss < 200)
		}
	}
	return out
}
