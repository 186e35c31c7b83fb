package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/testlog"
)

func tokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func serve(t *testing.T, tokens *Tokens, path, authz string) *httptest.ResponseRecorder {
	t.Helper()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := Middleware(tokens, DefaultOpenPaths)(ok)
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	tokens, err := Load(tokenFile(t, "# callers\nalpha-s3cr3t-1\n\n  beta-s3cr3t-2  \n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Len() != 2 {
		t.Fatalf("got %d tokens, want 2", tokens.Len())
	}
	tests := []struct {
		name, path, authz string
		want              int
		wantDetail        string
	}{
		{"a valid token", "/v1/run", "Bearer alpha-s3cr3t-1", http.StatusTeapot, ""},
		{"the second token, lower-case scheme", "/v1/scripts", "bearer beta-s3cr3t-2", http.StatusTeapot, ""},
		{"no token", "/v1/run", "", http.StatusUnauthorized, "requires a caller token"},
		{"a wrong token", "/v1/run", "Bearer alpha-s3cr3t-2", http.StatusUnauthorized, "not valid"},
		{"a prefix of a token", "/v1/run", "Bearer alpha-s3cr3", http.StatusUnauthorized, "not valid"},
		{"basic auth", "/v1/run", "Basic YWxwaGE6eA==", http.StatusUnauthorized, "not valid"},
		{"a comment line is no token", "/v1/run", "Bearer # callers", http.StatusUnauthorized, "not valid"},
		{"health stays open", "/healthz", "", http.StatusTeapot, ""},
		{"readiness stays open", "/readyz", "", http.StatusTeapot, ""},
		{"metrics stay open", "/metrics", "", http.StatusTeapot, ""},
		{"open paths match exactly", "/healthz/x", "", http.StatusUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := serve(t, tokens, tc.path, tc.authz)
			if rec.Code != tc.want {
				t.Fatalf("got %d, want %d", rec.Code, tc.want)
			}
			if tc.want != http.StatusUnauthorized {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != api.ContentTypeProblem {
				t.Errorf("Content-Type %q", ct)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
			var p api.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != ProblemUnauthorized || !strings.Contains(p.Detail, tc.wantDetail) {
				t.Errorf("problem: %+v %v", p, err)
			}
			if strings.Contains(rec.Body.String(), "alpha-s3cr3t-1") || strings.Contains(rec.Body.String(), "beta-s3cr3t-2") {
				t.Error("the answer leaks a token")
			}
		})
	}
}

func TestLoadRefusesNoTokens(t *testing.T) {
	t.Parallel()
	if _, err := Load(tokenFile(t, "# nothing\n\n"), nil); err == nil || !strings.Contains(err.Error(), "holds no token") {
		t.Errorf("got %v, want an error about no tokens", err)
	}
	if _, err := Load("/nonexistent/tokens", nil); err == nil || !strings.Contains(err.Error(), "PXGATE_AUTH_TOKENS_FILE") {
		t.Errorf("got %v", err)
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	path := tokenFile(t, "old-s3cr3t\n")
	// Load's check interval, on a clock the test moves.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	tokens, err := load(path, slog.New(slog.NewTextHandler(&logs, nil)), checkEvery, func() time.Time { return time.Unix(0, clock.Load()) })
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("new-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// SIGHUP path: an explicit reload takes effect at once.
	if err := tokens.Reload(); err != nil {
		t.Fatal(err)
	}
	if tokens.Valid("old-s3cr3t") || !tokens.Valid("new-s3cr3t") {
		t.Error("reload did not rotate the tokens")
	}
	// An emptied file keeps the last good tokens: never open the gateway.
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Reload(); err == nil {
		t.Error("reloading an empty file succeeded")
	}
	if !tokens.Valid("new-s3cr3t") {
		t.Error("the last good tokens were dropped")
	}
	// Change detection on use: a newer file is picked up once checkEvery
	// has passed since the last look (the reload), not before.
	if err := os.WriteFile(path, []byte("third-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(checkEvery - time.Millisecond))
	if tokens.Valid("third-s3cr3t") || !tokens.Valid("new-s3cr3t") {
		t.Error("the file was looked at again before checkEvery passed")
	}
	clock.Add(int64(time.Millisecond))
	if !tokens.Valid("third-s3cr3t") || tokens.Valid("new-s3cr3t") {
		t.Errorf("the changed file was not picked up once checkEvery (%s) passed", checkEvery)
	}
	for _, tok := range []string{"old-s3cr3t", "new-s3cr3t", "third-s3cr3t"} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("logs contain token %q", tok)
		}
	}
}

// TestReloadRereadsUnchangedStamps: SIGHUP re-reads the file even when its
// size and modification time are those of the tokens in force (cp -p,
// tar x, rsync -t).
func TestReloadRereadsUnchangedStamps(t *testing.T) {
	t.Parallel()
	path := tokenFile(t, "first-s3cr3t-aa\n")
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	tokens, err := load(path, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("other-s3cr3t-bb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if !tokens.Valid("first-s3cr3t-aa") {
		t.Fatal("the stamp did not change, yet a request re-read the file") // the test's premise
	}
	if err := tokens.Reload(); err != nil {
		t.Fatal(err)
	}
	if tokens.Valid("first-s3cr3t-aa") || !tokens.Valid("other-s3cr3t-bb") {
		t.Error("Reload (SIGHUP) did not re-read a file with an unchanged stamp")
	}
}

// TestABrokenFileIsReportedOnce: a file that turns empty is read and
// reported once per version, not on every request; the last good tokens
// stay, and a fixed file is picked up.
func TestABrokenFileIsReportedOnce(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	path := tokenFile(t, "good-s3cr3t\n")
	tokens, err := load(path, slog.New(slog.NewTextHandler(&logs, nil)), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("# all gone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if !tokens.Valid("good-s3cr3t") {
			t.Fatal("an emptied file dropped the last good tokens")
		}
	}
	if n := strings.Count(logs.String(), "not reloaded"); n != 1 {
		t.Errorf("5 requests on one broken file logged %d errors, want 1:\n%s", n, logs.String())
	}
	if err := os.WriteFile(path, []byte("fixed-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := future.Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if !tokens.Valid("fixed-s3cr3t") || tokens.Valid("good-s3cr3t") {
		t.Error("the fixed file was not picked up")
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("logs contain a token:\n%s", logs.String())
	}
}

// TestCaller: a request with a valid token names its caller by a short
// hash of that token (never the token), whichever of the tokens it is; an
// open path names nobody.
func TestCaller(t *testing.T) {
	t.Parallel()
	tokens, err := Load(tokenFile(t, "first-s3cr3t\nsecond-s3cr3t\nthird-s3cr3t\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	h := Middleware(tokens, DefaultOpenPaths)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = Caller(r.Context()) }))
	for _, tc := range []struct{ path, token string }{
		{"/v1/run", "first-s3cr3t"}, {"/v1/run", "second-s3cr3t"}, {"/v1/run", "third-s3cr3t"}, {"/healthz", "second-s3cr3t"},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		got = "unset"
		h.ServeHTTP(httptest.NewRecorder(), req)
		sum := sha256.Sum256([]byte(tc.token))
		want := hex.EncodeToString(sum[:8])
		if tc.path == "/healthz" {
			want = ""
		}
		if got != want {
			t.Errorf("%s with %s: caller %q, want %q", tc.path, tc.token, got, want)
		}
	}
}
