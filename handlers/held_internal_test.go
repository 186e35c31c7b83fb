package handlers

import (
	"net/http"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
)

// TestHeldStatus: a held answer is 200 only with a passing verdict,
// whatever serveStream said.
func TestHeldStatus(t *testing.T) {
	t.Parallel()
	rec := func(status int, wrote bool, verdict string) *recorder {
		r := &recorder{header: http.Header{}, status: status, wrote: wrote}
		if verdict != "" {
			r.header.Set(api.TrailerVerdict, verdict)
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		status int
		rec    *recorder
		want   int
	}{
		{"a pass", 200, rec(200, true, "pass"), 200},
		{"a failed verdict", 417, rec(200, true, "fail"), 417},
		{"a failure after rows", 504, rec(200, true, "fail"), 504},
		{"200 without a verdict fails closed", 200, rec(200, true, ""), 500},
		{"200 with a failing verdict fails closed", 200, rec(200, true, "fail"), 500},
		{"not run, 429 answered", 0, rec(429, true, ""), 429},
		{"not run, the caller left", 0, rec(200, false, ""), statusClientClosedRequest},
	} {
		if got := heldStatus(tc.status, tc.rec); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestCacheable: only answers with a body and a result are kept.
func TestCacheable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    cache.Entry
		want bool
	}{
		{cache.Entry{Status: 200, ContentType: "application/json"}, true},
		{cache.Entry{Status: 417, ContentType: "application/json"}, true},
		{cache.Entry{Status: 200, ContentType: "text/plain; version=0.0.4"}, true},
		{cache.Entry{Status: 400, ContentType: "application/problem+json"}, false},
		{cache.Entry{Status: 502, ContentType: "application/json"}, false},
		{cache.Entry{Status: statusClientClosedRequest}, false},
		{cache.Entry{Status: statusClientClosedRequest, ContentType: "application/json"}, false},
		{cache.Entry{Status: 200}, false},
		{cache.Entry{Status: 200, ContentType: "text/csv", Header: http.Header{api.TrailerError: {"pixie-error cut"}}}, false},
		{cache.Entry{Status: 200, ContentType: "text/csv", Header: http.Header{api.TrailerVerdict: {"pass"}}}, true},
	} {
		if got := cacheable(&tc.e); got != tc.want {
			t.Errorf("cacheable(%d %q) = %v, want %v", tc.e.Status, tc.e.ContentType, got, tc.want)
		}
	}
}
