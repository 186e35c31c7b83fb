package api_test

import (
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
)

// TestRelativeDuration: a signed Go duration, "d" counting 24 hours; a
// second sign ("--1d", "-+5m") or anything else is not one.
func TestRelativeDuration(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]time.Duration{
		"-5m": -5 * time.Minute, "+1m": time.Minute, "-1h30m": -90 * time.Minute,
		"-1d": -24 * time.Hour, "-1d12h": -36 * time.Hour, "+2d": 48 * time.Hour, "-0d": 0,
	} {
		if d, ok := api.RelativeDuration(s); !ok || d != want {
			t.Errorf("%q: got %v, %v, want %v", s, d, ok, want)
		}
	}
	for _, s := range []string{"", "5m", "now", "-", "--1d", "+-1d", "-+1d", "-01d", "-367d", "-1d-5m", "-+5m", "+-5m", "-1d+5m", "-5x", "-d"} {
		if d, ok := api.RelativeDuration(s); ok {
			t.Errorf("%q: got %v, want not a relative time", s, d)
		}
	}
}
