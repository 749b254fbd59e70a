package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/storefront/customers/internal/proctest"
	"github.com/storefront/customers/internal/testsize"
	"github.com/storefront/customers/storage"
)

// childEnv makes the test binary run the server instead of the tests, so a
// test can kill a real server process.
const childEnv = "CUSTOMERS_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		if err := run(context.Background(), strings.Fields(args), os.Stdout, log); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeBinary()
	proctest.Cleanup()
	os.Exit(code)
}

// child is a server process started from the test binary.
type child struct {
	cmd *exec.Cmd
	url string
}

// startChild starts a server process on db and waits until it listens.
func startChild(t *testing.T, db string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=-addr 127.0.0.1:0 -db "+db)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	urls := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if u, ok := proctest.ServerURL(lines.Text()); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return &child{cmd: cmd, url: u}
	case <-time.After(60 * time.Second):
		t.Fatal("the server process did not start")
	}
	return nil
}

// TestCrashDuringWrites kills a server with SIGKILL in the middle of a
// stream of batch writes: after a restart the file passes SQLite's
// integrity check, every acknowledged batch is there whole, and no batch is
// there in part.
func TestCrashDuringWrites(t *testing.T) {
	t.Parallel()
	const (
		writers   = 4
		batchSize = 5
	)
	// Batches acknowledged before the kill: 40 without -tags slow.
	acks := int64(testsize.Pick(150, 40))
	db := filepath.Join(t.TempDir(), "crash.db")
	token := mustToken(t, db)
	srv := startChild(t, db)

	var (
		acked    sync.Map // batch tag -> true
		sent     atomic.Int64
		ackCount atomic.Int64
		wg       sync.WaitGroup
		enough   = make(chan struct{})
		once     sync.Once
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				tag := fmt.Sprintf("w%db%d", w, b)
				var items []string
				for i := range batchSize {
					items = append(items, fmt.Sprintf(`{email: "%s-%d@crash.example", firstName: "C", lastName: %q,
						storeCreditAmounts: [{amount: 1.5}], addresses: [{firstName: "C", lastName: "D", address1: "1 Main",
						city: "Austin", stateOrProvince: "Texas", postalCode: "78701", countryCode: "US"}]}`, tag, i, tag))
				}
				body, _ := json.Marshal(map[string]string{"query": `mutation { createCustomers(input: [` +
					strings.Join(items, ",") + `]) { customers { id } userErrors { code } } }`})
				sent.Add(1)
				req, _ := http.NewRequest(http.MethodPost, srv.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Auth-Token", token)
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				data, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					return
				}
				if !strings.Contains(string(data), `"userErrors":[]`) {
					t.Errorf("batch %s: %s", tag, data)
					return
				}
				acked.Store(tag, true)
				if ackCount.Add(1) == acks {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	// Kill once a good number of batches is acknowledged, mid-stream.
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	wg.Wait()
	if ackCount.Load() < acks {
		t.Fatalf("only %d batches acknowledged before the deadline", ackCount.Load())
	}

	// Restart: the server recovers the file and answers.
	srv = startChild(t, db)
	res, err := http.Get(srv.url + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("restarted server not ready: %v %v", res, err)
	}
	res.Body.Close()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()

	ctx := context.Background()
	store, err := storage.Open(ctx, db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	// Every batch is all or nothing, and every acknowledged one is all.
	all, err := store.FindCustomers(ctx, storage.CustomerFilter{}, storage.SortIDAsc,
		storage.PageRequest{Page: 1, Limit: 1, WantTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for tag := range sentTags(writers, int(sent.Load())) {
		pg, err := store.FindCustomers(ctx, storage.CustomerFilter{NameLike: []string{" " + tag}}, storage.SortIDAsc,
			storage.PageRequest{Page: 1, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range pg.Items {
			if c.LastName == tag {
				n++
			}
		}
		if _, ok := acked.Load(tag); ok && n != batchSize {
			t.Fatalf("acknowledged batch %s has %d of its %d customers", tag, n, batchSize)
		}
		if n != 0 && n != batchSize {
			t.Fatalf("batch %s is there in part: %d of %d customers", tag, n, batchSize)
		}
		stored += n
	}
	if all.Total != stored {
		t.Fatalf("%d customers stored, %d accounted for by batches", all.Total, stored)
	}
	addrs, err := store.FindAddresses(ctx, storage.CustomerAddressFilter{}, storage.PageRequest{Page: 1, Limit: 1, WantTotal: true})
	if err != nil || addrs.Total != stored {
		t.Fatalf("%d addresses for %d customers (%v)", addrs.Total, stored, err)
	}
	t.Logf("%d batches sent, %d acknowledged, %d customers stored", sent.Load(), ackCount.Load(), stored)
}

// sentTags returns every tag the writers may have sent: each writer's
// batches up to the number sent in all.
func sentTags(writers, sent int) map[string]bool {
	tags := map[string]bool{}
	for w := range writers {
		for b := 0; b <= sent; b++ {
			tags[fmt.Sprintf("w%db%d", w, b)] = true
		}
	}
	return tags
}

// mustToken makes an API token with the write scope in the store at path.
func mustToken(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	token, _, err := db.CreateToken(ctx, "crash test", []string{storage.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	return token
}
