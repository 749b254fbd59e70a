package webhook

import (
	"testing"
	"time"
)

// TestBigCommerceRetry: BigCommerce's schedule, scaled by its first wait,
// and spent after eleven retries.
func TestBigCommerceRetry(t *testing.T) {
	for _, tc := range []struct {
		failures int
		first    time.Duration
		want     time.Duration
		ok       bool
	}{
		{1, 0, time.Minute, true},
		{2, 0, 3 * time.Minute, true},
		{11, 0, 24 * time.Hour, true},
		{12, 0, 0, false},
		{0, 0, 0, false},
		{2, 10 * time.Millisecond, 30 * time.Millisecond, true},
	} {
		got, ok := bigCommerceRetry(tc.failures, tc.first)
		if got != tc.want || ok != tc.ok {
			t.Errorf("bigCommerceRetry(%d, %v) = %v, %v; want %v, %v", tc.failures, tc.first, got, ok, tc.want, tc.ok)
		}
	}
	var total time.Duration
	for _, d := range bigCommerceRetries {
		total += d
	}
	if total < 48*time.Hour || total > 49*time.Hour {
		t.Errorf("the schedule spans %v, want about 48 hours", total)
	}
}
