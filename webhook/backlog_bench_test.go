package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
	"github.com/storefront/customers/webhook"
)

// BenchmarkBacklogDrain measures a webhook backlog: 20,000 pending
// deliveries to one healthy receiver on this machine, drained by the
// dispatcher while a writer keeps updating customers. It reports the
// drain's time and rate, and the writer's median latency while idle and
// while the backlog drains (write_p50_ratio, which should stay within 2).
//
//	go test -run '^$' -bench BacklogDrain -benchtime 1x ./webhook
func BenchmarkBacklogDrain(b *testing.B) {
	backlog := 20_000
	if v, err := strconv.Atoi(os.Getenv("WEBHOOK_BACKLOG")); err == nil && v > 0 {
		backlog = v // WEBHOOK_BACKLOG=2000 for a quick run
	}
	for range b.N {
		b.StopTimer()
		db := storagetest.MustOpenDB(b)
		db.Now = time.Now
		db.Destinations.AllowPrivate = true
		ctx := context.Background()
		var received atomic.Int64
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			received.Add(1)
		}))
		if _, _, err := db.CreateWebhook(ctx, storage.WebhookInput{Scope: "store/customer/*", Destination: rc.URL}); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < backlog; i += storage.MaxBatch {
			batch := make([]storage.CustomerInput, storage.MaxBatch)
			for j := range batch {
				batch[j] = storage.CustomerInput{Email: "b" + strconv.Itoa(i+j) + "@backlog.example", FirstName: "B", LastName: "L"}
			}
			if _, err := db.CreateCustomers(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		for {
			n, err := db.FanOut(ctx, 500)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		// A customer the writer keeps updating, created after the backlog
		// and delivered with it.
		out, err := db.CreateCustomers(ctx, []storage.CustomerInput{{Email: "writer@backlog.example", FirstName: "W", LastName: "R"}})
		if err != nil {
			b.Fatal(err)
		}
		id := out[0].ID
		n := 0
		update := func() time.Duration {
			n++
			notes := fmt.Sprintf("note %d", n)
			start := time.Now()
			if _, err := db.UpdateCustomers(ctx, []storage.CustomerUpdate{{ID: id, Notes: &notes}}); err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		var idle []time.Duration
		for range 300 {
			idle = append(idle, update())
			time.Sleep(5 * time.Millisecond)
		}

		b.StartTimer()
		start := time.Now()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- webhook.New(db, webhook.Config{Guard: db.Destinations, PerWebhook: perWebhook()}).Run(runCtx)
		}()
		// The writer updates every 5 ms until the receiver has had the
		// whole backlog and nothing is pending.
		var busy []time.Duration
		for {
			busy = append(busy, update())
			if received.Load() >= int64(backlog) {
				pending, err := db.PendingDeliveries(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if pending == 0 {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		drain := time.Since(start)
		b.StopTimer()
		cancel()
		<-done
		rc.Close()
		idleP50, busyP50 := median(idle), median(busy)
		b.ReportMetric(drain.Seconds(), "drain_s")
		b.ReportMetric(float64(received.Load())/drain.Seconds(), "deliveries/s")
		b.ReportMetric(float64(idleP50.Microseconds())/1000, "write_p50_idle_ms")
		b.ReportMetric(float64(busyP50.Microseconds())/1000, "write_p50_busy_ms")
		b.ReportMetric(float64(busyP50)/float64(idleP50), "write_p50_ratio")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// perWebhook is WEBHOOK_PER_WEBHOOK, or 0 (the default).
func perWebhook() int {
	n, _ := strconv.Atoi(os.Getenv("WEBHOOK_PER_WEBHOOK"))
	return n
}
