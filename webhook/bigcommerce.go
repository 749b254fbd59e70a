package webhook

import (
	"time"

	"github.com/storefront/customers/storage"
)

// Webhooks registered through REST /v3/hooks are delivered in
// BigCommerce's own way: the same envelope, authenticated by the webhook's
// custom headers alone (no signature: such a webhook's secret is never
// shown), and retried on BigCommerce's schedule; after the last retry
// fails the webhook is turned off.

// bigCommerceRetries are the waits after each failure, as BigCommerce
// documents them: 60 s, 180 s, ..., 86,400 s, about 48 hours in all.
var bigCommerceRetries = []time.Duration{60 * time.Second, 180 * time.Second, 300 * time.Second, 600 * time.Second,
	900 * time.Second, 1800 * time.Second, time.Hour, 2 * time.Hour, 6 * time.Hour, 14 * time.Hour, 24 * time.Hour}

// DefaultBigCommerceFirstRetry is the first wait of BigCommerce's schedule.
const DefaultBigCommerceFirstRetry = 60 * time.Second

// bigCommerceRetry returns the wait before the next attempt after the
// given number of failures, scaled so the first wait is first (tests and
// the impatient shorten it); false when the schedule is spent.
func bigCommerceRetry(failures int, first time.Duration) (time.Duration, bool) {
	if failures < 1 || failures > len(bigCommerceRetries) {
		return 0, false
	}
	if first <= 0 {
		first = DefaultBigCommerceFirstRetry
	}
	return time.Duration(float64(bigCommerceRetries[failures-1]) * float64(first) / float64(DefaultBigCommerceFirstRetry)), true
}

// signed reports whether a webhook's requests carry the Standard Webhooks
// signature headers.
func signed(w *storage.Webhook) bool { return w.Format != storage.WebhookBigCommerce }

// retryPolicy returns when to try a failed delivery again, and whether to
// give up and turn its webhook off: the dispatcher's back-off for Standard
// Webhooks (turned off by DeactivateAfter), BigCommerce's schedule for its
// format (turned off after the last retry).
func (d *Dispatcher) retryPolicy(w *storage.Webhook, failures int, start time.Time) (time.Time, bool) {
	if w.Format != storage.WebhookBigCommerce {
		return start.Add(d.backoff(failures)), false
	}
	wait, ok := bigCommerceRetry(failures, d.cfg.BigCommerceFirstRetry)
	if !ok {
		return start, true
	}
	return start.Add(wait), false
}
