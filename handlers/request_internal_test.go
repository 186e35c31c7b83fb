package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestAppendQueryEscape: the cache key escapes as url.QueryEscape does,
// every byte and some strings.
func TestAppendQueryEscape(t *testing.T) {
	t.Parallel()
	ins := []string{"", "default/consumer", "-5m", "p99(latency) < 300ms", "a b+c&d=e;f%g", "ünïcode", "~._-AZaz09"}
	for c := range 256 {
		ins = append(ins, string([]byte{byte(c)}))
	}
	for _, s := range ins {
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscape(%q) = %q, url.QueryEscape says %q", s, got, want)
		}
	}
}

// TestCanonicalQuery: the same query spelled in another order has one
// key, the form of the key is unchanged (name=value&, sorted), and the
// request's own values are not reordered.
func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	key := func(raw string) (string, url.Values) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/probe?"+raw, nil)
		return cacheKey(r, q), q
	}
	a, _ := key("service=default/consumer&start_time=-5m&expect=b&expect=a")
	b, q := key("expect=b&start_time=-5m&expect=a&service=default%2Fconsumer")
	if a != b {
		t.Errorf("keys differ: %q and %q", a, b)
	}
	if want := "/probe?expect=a&expect=b&service=default%2Fconsumer&start_time=-5m&|"; a != want {
		t.Errorf("key %q, want %q", a, want)
	}
	if !slices.Equal(q["expect"], []string{"b", "a"}) {
		t.Errorf("the request's values were reordered: %q", q["expect"])
	}
	long := strings.Repeat("x", 300) // past the key's stack buffer
	if k, _ := key("a=" + long); k != "/probe?a="+long+"&|" {
		t.Errorf("long key %q", k)
	}
}

// TestRequestContext: the request's context answers its id (as chi's
// middleware.GetReqID reads it) and its note, passes every other key on,
// and cancels as the context below it does.
func TestRequestContext(t *testing.T) {
	t.Parallel()
	type other struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "v"))
	q := &request{Context: parent, id: "id-1"}
	var ctx context.Context = q
	if requestOf(ctx) != q || requestOf(context.WithoutCancel(ctx)) != q {
		t.Error("requestOf does not find the request")
	}
	if got := ctx.Value(other{}); got != "v" {
		t.Errorf("other key: got %v", got)
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done() // (a child of the request's context ends with the connection's)
	if requestOf(context.Background()) != nil {
		t.Error("a request found in a bare context")
	}
}

// TestNewRequestID: generated ids are chi's form, host/random-000001.
func TestNewRequestID(t *testing.T) {
	t.Parallel()
	a, b := newRequestID(), newRequestID()
	if a == b || !strings.HasPrefix(a, requestIDPrefix()) || !validRequestID(a) {
		t.Errorf("ids %q, %q", a, b)
	}
	n := strings.TrimPrefix(a, requestIDPrefix())
	if len(n) < 6 || strings.Trim(n, "0123456789") != "" {
		t.Errorf("id %q: number %q, want at least six digits", a, n)
	}
}
