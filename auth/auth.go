// Package auth guards pxgate's HTTP API with optional bearer tokens read
// from a file (PXGATE_AUTH_TOKENS_FILE): one token per line, blank lines and
// `#` comments ignored. The file is re-read when it changes (checked at most
// once per second, on use) or on Reload (SIGHUP), so tokens rotate without a
// restart; a file that becomes unreadable or empty keeps the last good set
// and is reported, because dropping to "no tokens" must never open the
// gateway. Tokens are compared in constant time and never logged.
package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pxgate/pxgate/api"
)

// ProblemUnauthorized is the problem type of a 401: no token, or a wrong one.
const ProblemUnauthorized = api.ProblemTypePrefix + "unauthorized"

// DefaultOpenPaths are served without a token: probes and scrapes come from
// the platform, not from callers holding tokens.
var DefaultOpenPaths = []string{"/healthz", "/readyz", "/metrics"}

// Tokens is a set of caller tokens backed by a file. Safe for concurrent use.
type Tokens struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	hashes  [][sha256.Size]byte // SHA-256 of each token: fixed-length constant-time compares
	modTime time.Time
	size    int64
	checked time.Time
}

// Load reads the token file. It fails when the file cannot be read or holds
// no token: a gateway asked to require tokens must not start open.
func Load(path string, log *slog.Logger) (*Tokens, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tokens{path: path, log: log}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len returns the number of tokens in force.
func (t *Tokens) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.hashes)
}

// Reload re-reads the file now (SIGHUP). On failure the previous tokens
// stay in force and the error is returned.
func (t *Tokens) Reload() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.reload()
	if err != nil {
		t.log.Error("caller tokens not reloaded; the previous tokens stay in force", "file", t.path, "err", err)
	}
	return err
}

// reload reads the file; t.mu is held (or t is not shared yet).
func (t *Tokens) reload() error {
	st, err := os.Stat(t.path)
	if err != nil {
		return fmt.Errorf("PXGATE_AUTH_TOKENS_FILE: %w", err)
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("PXGATE_AUTH_TOKENS_FILE: %w", err)
	}
	var hashes [][sha256.Size]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		hashes = append(hashes, sha256.Sum256([]byte(line)))
	}
	if len(hashes) == 0 {
		return errors.New("PXGATE_AUTH_TOKENS_FILE: " + t.path + " holds no token (one per line)")
	}
	changed := t.hashes != nil
	t.hashes, t.modTime, t.size, t.checked = hashes, st.ModTime(), st.Size(), time.Now()
	if changed {
		t.log.Info("caller tokens reloaded", "file", t.path, "tokens", len(hashes))
	}
	return nil
}

// refresh re-reads the file when its size or modification time changed,
// checking at most once a second.
func (t *Tokens) refresh() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if time.Since(t.checked) < time.Second {
		return
	}
	t.checked = time.Now()
	st, err := os.Stat(t.path)
	if err != nil || (st.ModTime().Equal(t.modTime) && st.Size() == t.size) {
		if err != nil {
			t.log.Warn("caller tokens file unreadable; the previous tokens stay in force", "file", t.path, "err", err)
		}
		return
	}
	if err := t.reload(); err != nil {
		t.log.Error("caller tokens not reloaded; the previous tokens stay in force", "file", t.path, "err", err)
	}
}

// Valid reports whether token is one of the tokens, comparing against every
// token in constant time.
func (t *Tokens) Valid(token string) bool {
	if token == "" {
		return false
	}
	t.refresh()
	h := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	ok := 0
	for i := range t.hashes {
		ok |= subtle.ConstantTimeCompare(h[:], t.hashes[i][:])
	}
	return ok == 1
}

// Middleware requires `Authorization: Bearer <token>` on every path except
// openPaths (exact matches), answering 401 problem+json otherwise.
func Middleware(t *Tokens, openPaths []string) func(http.Handler) http.Handler {
	open := make(map[string]bool, len(openPaths))
	for _, p := range openPaths {
		open[p] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if open[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			token, found := bearer(r.Header.Get("Authorization"))
			if t.Valid(token) {
				next.ServeHTTP(w, r)
				return
			}
			detail := "this gateway requires a caller token: send the header Authorization: Bearer <token> " +
				`(Chaos Toolkit: "headers": {"Authorization": "Bearer ${pxgate_token}"} with the token as a secret)`
			if found {
				detail = "the bearer token is not valid for this gateway"
			}
			unauthorized(w, r, detail)
		})
	}
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", h != ""
	}
	return strings.TrimSpace(token), true
}

func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	p := api.Problem{Type: ProblemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: detail, Instance: r.URL.Path}
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", api.ContentTypeProblem)
	w.Header().Set("WWW-Authenticate", `Bearer realm="pxgate"`)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(append(body, '\n'))
}
