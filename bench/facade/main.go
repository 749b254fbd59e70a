// Command facade measures the facade mode against a local upstream
// (BENCHMARKS.md, "Facade mode"): the initial sync of n customers (time,
// requests, 429s), the mirror's lag after an upstream change with webhooks
// and with reconciliation only (p50, p99), and an account page read from
// the facade (one GraphQL request) against the same page from the
// upstream's REST API (three calls), in the same run.
//
//	go run ./bench/facade -n 100000
//
// It builds the server and datagen, writes the data set and imports it
// into the upstream's database under -dir, and runs every process itself.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/internal/proctest"
)

var (
	n       = flag.Int("n", 100000, "customers in the upstream")
	dir     = flag.String("dir", "", "work directory (default: a temporary one, removed at the end)")
	changes = flag.Int("changes", 200, "upstream changes timed for the webhook lag")
	recon   = flag.Int("recon-changes", 30, "upstream changes timed for the reconciliation-only lag")
	every   = flag.Duration("reconcile-every", 2*time.Second, "the reconciliation period of the reconciliation-only run")
	reads   = flag.Int("reads", 500, "account page reads of each kind")
	limit   = flag.String("rate-limit", "150/30s", "the upstream's REST quota during the sync (BigCommerce's standard)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "facade-bench-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(work)
	}
	bin, datagen := filepath.Join(work, "customers"), filepath.Join(work, "datagen")
	must(run("go", "build", "-o", bin, "."))
	must(run("go", "build", "-o", datagen, "./bench/datagen"))
	upDB, fDB := filepath.Join(work, "upstream.db"), filepath.Join(work, "facade.db")
	os.Remove(upDB)
	os.Remove(fDB)
	lines := filepath.Join(work, fmt.Sprintf("customers-%d.jsonl", *n))
	if _, err := os.Stat(lines); err != nil {
		out, err := os.Create(lines)
		must(err)
		cmd := exec.Command(datagen, "-n", strconv.Itoa(*n))
		cmd.Stdout = out
		must(cmd.Run())
		out.Close()
	}
	must(run(datagen, "-defs", "-db", upDB))
	start := time.Now()
	must(run(bin, "import", "-db", upDB, lines))
	log.Printf("imported %d customers into the upstream in %s", *n, time.Since(start).Round(time.Millisecond))
	syncToken := token(bin, upDB, "facade")
	benchToken := token(bin, upDB, "bench")
	fToken := token(bin, fDB, "bench")

	// 1. Initial sync, under the upstream's standard rate limit.
	up := start1(bin, nil, "-db", upDB, "-store-hash", "up1", "-webhook-allow-private", "-rest-rate-limit", *limit,
		"-webhook-first-retry", "1s")
	hookPort := freePort()
	f := start1(bin, []string{"UPSTREAM_TOKEN=" + syncToken}, "-addr", "127.0.0.1:"+hookPort, "-db", fDB, "-upstream", up.url+"/stores/up1",
		"-public-url", "http://127.0.0.1:"+hookPort, "-upstream-allow-private", "-upstream-reconcile-every", "1h", "-upstream-sweep-every", "24h")
	start = time.Now()
	for syncState(f.url, fToken) != "SYNCED" {
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	reqs, throttled := upstreamRequests(f.url)
	fmt.Printf("initial sync: %d customers in %s (%.0f customers/s), %d upstream requests, %d answered 429, quota %s\n",
		*n, took.Round(time.Millisecond), float64(*n)/took.Seconds(), reqs, throttled, *limit)
	line := lastLine(f.stderr.String(), "sync: customers")
	fmt.Printf("  last progress line: %s\n", line)
	upExport, _ := exec.Command(bin, "export", "-db", upDB).Output()
	fExport, _ := exec.Command(bin, "export", "-db", fDB).Output()
	if bytes.Equal(upExport, fExport) {
		fmt.Printf("  export of the mirror == export of the upstream (%d bytes)\n", len(upExport))
	} else {
		a, b := strings.Split(string(upExport), "\n"), strings.Split(string(fExport), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				fmt.Printf("  the exports DIFFER at line %d:\n  upstream %s\n  mirror   %s\n", i+1, a[i], b[i])
				break
			}
		}
	}

	// 2. Lag with webhooks: an upstream change until the facade answers it.
	restart(up, bin, "-db", upDB, "-store-hash", "up1", "-webhook-allow-private", "-rest-rate-limit", "0", "-webhook-first-retry", "1s")
	time.Sleep(500 * time.Millisecond)
	lag := measureLag(up.url, benchToken, f.url, fToken, *changes, "hook")
	fmt.Printf("mirror lag with webhooks (%d changes): p50 %s, p99 %s, max %s\n", *changes, pct(lag, 50), pct(lag, 99), pct(lag, 100))
	stop(f)

	// 3. Lag with reconciliation only: no public URL, no webhooks (the
	// hooks registered above point at a port nobody listens on now).
	f2 := start1(bin, []string{"UPSTREAM_TOKEN=" + syncToken}, "-db", fDB, "-upstream", up.url+"/stores/up1", "-upstream-allow-private",
		"-upstream-reconcile-every", every.String(), "-upstream-sweep-every", "24h")
	lag = measureLag(up.url, benchToken, f2.url, fToken, *recon, "recon")
	fmt.Printf("mirror lag with reconciliation only every %s (%d changes): p50 %s, p99 %s, max %s\n", *every, *recon, pct(lag, 50), pct(lag, 99), pct(lag, 100))

	// 4. An account page: one GraphQL request to the facade against the
	// upstream's REST calls for the same (customer with its four includes,
	// its group, its consent), alternating, in the same run.
	var gql, rst []time.Duration
	client := &http.Client{}
	for i := range *reads {
		id := 1 + rand.IntN(*n)
		t0 := time.Now()
		var page map[string]any
		post(client, f2.url+"/graphql", fToken, map[string]any{"query": accountPage, "variables": map[string]any{"id": id}}, &page)
		t1 := time.Now()
		var cs struct {
			Data []struct {
				ID              int `json:"id"`
				CustomerGroupID int `json:"customer_group_id"`
			} `json:"data"`
		}
		get(client, up.url+"/stores/up1/v3/customers?id:in="+strconv.Itoa(id)+"&include=addresses,storecredit,attributes,formfields", benchToken, &cs)
		if len(cs.Data) == 1 && cs.Data[0].CustomerGroupID != 0 {
			get(client, up.url+"/stores/up1/v2/customer_groups/"+strconv.Itoa(cs.Data[0].CustomerGroupID), benchToken, nil)
		}
		get(client, up.url+"/stores/up1/v3/customers/"+strconv.Itoa(id)+"/consent", benchToken, nil)
		t2 := time.Now()
		if i >= 20 { // warm-up
			gql = append(gql, t1.Sub(t0))
			rst = append(rst, t2.Sub(t1))
		}
	}
	fmt.Printf("account page, %d reads each: facade GraphQL p50 %s p99 %s; upstream REST (3 calls) p50 %s p99 %s; facade/REST p50 %.2fx, p99 %.2fx\n",
		len(gql), pct(gql, 50), pct(gql, 99), pct(rst, 50), pct(rst, 99), ratio(gql, rst, 50), ratio(gql, rst, 99))
	stop(f2)
	stop(up)
}

const accountPage = `query Account($id: Int!) { customer(id: $id) { id email firstName lastName company phone dateCreated
  group { id name } addresses { id firstName lastName address1 address2 city stateOrProvince postalCode countryCode phone addressType formFields { name value } }
  attributes { attributeId value } formFields { name value } storeCredit { amount } consent { allow deny } } }`

func measureLag(upURL, upToken, fURL, fToken string, k int, tag string) []time.Duration {
	client := &http.Client{}
	var out []time.Duration
	for i := range k {
		if tag == "recon" {
			// A change at a random moment of the period, not just after
			// the pass that showed the previous one.
			time.Sleep(time.Duration(rand.Int64N(int64(*every))))
		}
		id := 1 + rand.IntN(*n)
		name := fmt.Sprintf("%s-%d-%d", tag, i, rand.IntN(1e9))
		body, _ := json.Marshal([]map[string]any{{"id": id, "first_name": name}})
		req, _ := http.NewRequest("PUT", upURL+"/stores/up1/v3/customers", bytes.NewReader(body))
		req.Header.Set("X-Auth-Token", upToken)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		res, err := client.Do(req)
		must(err)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			log.Fatalf("upstream PUT: %d", res.StatusCode)
		}
		for {
			var r map[string]any
			post(client, fURL+"/graphql", fToken, map[string]any{"query": `query($id: Int!) { customer(id: $id) { firstName } }`, "variables": map[string]any{"id": id}}, &r)
			if c, _ := r["data"].(map[string]any)["customer"].(map[string]any); c != nil && c["firstName"] == name {
				break
			}
			if time.Since(t0) > 5*time.Minute {
				log.Fatal("a change never reached the mirror")
			}
			time.Sleep(2 * time.Millisecond)
		}
		out = append(out, time.Since(t0))
	}
	return out
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return s[i].Round(10 * time.Microsecond)
}

func ratio(a, b []time.Duration, p int) float64 { return float64(pct(a, p)) / float64(pct(b, p)) }

type proc struct {
	url    string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func start1(bin string, env []string, args ...string) *proc {
	if !slices.Contains(args, "-addr") {
		args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	}
	args = append(args, "-log-format", "text", "-log-level", "warn")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	must(err)
	must(cmd.Start())
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := proctest.ServerURL(sc.Text()); ok {
			p.url = u
			go io.Copy(io.Discard, out)
			return p
		}
	}
	log.Fatalf("%s did not start: %s", bin, p.stderr.String())
	return nil
}

// restart stops p and starts it again on the same address.
func restart(p *proc, bin string, args ...string) {
	addr := strings.TrimPrefix(p.url, "http://")
	stop(p)
	q := start1(bin, nil, append([]string{"-addr", addr}, args...)...)
	*p = *q
}

func stop(p *proc) {
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
}

func freePort() string {
	for range 100 {
		port := 20000 + rand.IntN(30000)
		if ln, err := (&net0{}).listen(port); err == nil {
			ln.Close()
			return strconv.Itoa(port)
		}
	}
	log.Fatal("no free port")
	return ""
}

func token(bin, db, name string) string {
	out, err := exec.Command(bin, "token", "create", "-db", db, "-scopes", "store_v2_customers", "-name", name).Output()
	must(err)
	return strings.TrimSpace(string(out))
}

func syncState(url, token string) string {
	var r struct {
		Data struct {
			SyncStatus struct{ State string } `json:"syncStatus"`
		} `json:"data"`
	}
	post(http.DefaultClient, url+"/graphql", token, map[string]any{"query": "{ syncStatus { state } }"}, &r)
	return r.Data.SyncStatus.State
}

// upstreamRequests sums the facade's customers_upstream_requests_total,
// and its 429s.
func upstreamRequests(url string) (total, throttled int) {
	res, err := http.Get(url + "/metrics")
	must(err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "customers_upstream_requests_total{") {
			continue
		}
		v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		total += int(v)
		if strings.Contains(l, `status="429"`) {
			throttled += int(v)
		}
	}
	return total, throttled
}

func lastLine(text, prefix string) string {
	last := ""
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			last = l
		}
	}
	return last
}

func post(c *http.Client, url, token string, body, out any) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	do(c, req, out)
}

func get(c *http.Client, url, token string, out any) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Accept", "application/json")
	do(c, req, out)
}

func do(c *http.Client, req *http.Request, out any) {
	res, err := c.Do(req)
	must(err)
	defer res.Body.Close()
	if out == nil {
		io.Copy(io.Discard, res.Body)
		return
	}
	must(json.NewDecoder(res.Body).Decode(out))
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

type net0 struct{}

func (net0) listen(port int) (io.Closer, error) {
	return netListen("tcp", "127.0.0.1:"+strconv.Itoa(port))
}

var netListen = net.Listen
