// Package auth guards pxgate's HTTP API with optional bearer tokens read
// from a file (PXGATE_AUTH_TOKENS_FILE): one token per line, blank lines and
// `#` comments ignored. The file is re-read when it changes (checked at most
// once per second, on use) or on Reload (SIGHUP), so tokens rotate without a
// restart; a file that becomes unreadable or empty keeps the last good set
// and is reported (once per version of the file), because dropping to "no
// tokens" must never open the gateway. Tokens are compared in constant time
// and never logged.
package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/filewatch"
)

// ProblemUnauthorized is the problem type of a 401: no token, or a wrong one.
const ProblemUnauthorized = api.ProblemTypePrefix + "unauthorized"

// DefaultOpenPaths are served without a token: probes and scrapes come from
// the platform, not from callers holding tokens.
var DefaultOpenPaths = []string{"/healthz", "/readyz", "/metrics"}

// checkEvery bounds how often a request looks at the tokens file.
const checkEvery = time.Second

// Tokens is a set of caller tokens backed by a file. Safe for concurrent use.
type Tokens struct {
	w *filewatch.Watcher[tokenSet]
}

// tokenSet holds the SHA-256 of each token: fixed-length constant-time
// compares; and the caller name of each (Caller), made once.
type tokenSet struct {
	hashes  [][sha256.Size]byte
	callers []string
}

// Load reads the token file. It fails when the file cannot be read or holds
// no token: a gateway asked to require tokens must not start open.
func Load(path string, log *slog.Logger) (*Tokens, error) {
	return load(path, log, checkEvery, nil)
}

// load is Load looking at the file at most once per every, measured on
// the clock now (nil: time.Now).
func load(path string, log *slog.Logger, every time.Duration, now func() time.Time) (*Tokens, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := filewatch.New(filewatch.Options[tokenSet]{
		Files: []string{path},
		Every: every,
		Now:   now,
		Load:  func() (*tokenSet, error) { return readTokens(path) },
		Loaded: func(s *tokenSet) {
			log.Info("caller tokens reloaded", "file", path, "tokens", len(s.hashes))
		},
		Failed: func(err error) {
			log.Error("caller tokens not reloaded; the previous tokens stay in force", "file", path, "err", err)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("PXGATE_AUTH_TOKENS_FILE: %w", err)
	}
	return &Tokens{w: w}, nil
}

// Len returns the number of tokens in force.
func (t *Tokens) Len() int {
	return len(t.w.Current().hashes)
}

// Reload re-reads the file now, changed or not (SIGHUP). On failure the
// previous tokens stay in force, and the error is logged and returned.
func (t *Tokens) Reload() error {
	if err := t.w.Reload(); err != nil {
		return fmt.Errorf("PXGATE_AUTH_TOKENS_FILE: %w", err)
	}
	return nil
}

// readTokens reads the file; its errors never quote the file's contents.
func readTokens(path string) (*tokenSet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
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
		return nil, errors.New(path + " holds no token (one per line)")
	}
	callers := make([]string, len(hashes))
	for i, h := range hashes {
		callers[i] = hex.EncodeToString(h[:8])
	}
	return &tokenSet{hashes: hashes, callers: callers}, nil
}

// Valid reports whether token is one of the tokens, comparing against every
// token in constant time. It first re-reads the file if it changed (looking
// at most once a second).
func (t *Tokens) Valid(token string) bool {
	_, ok := t.check(token)
	return ok
}

// check is Valid, also returning the caller name of a valid token (a
// short hash of it, never the token). Which token matched is found in
// constant time too.
func (t *Tokens) check(token string) (caller string, ok bool) {
	if token == "" {
		return "", false
	}
	t.w.Check()
	set := t.w.Current()
	h := sha256.Sum256([]byte(token))
	found, match := 0, 0
	for i := range set.hashes {
		eq := subtle.ConstantTimeCompare(h[:], set.hashes[i][:])
		found |= eq
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if found != 1 {
		return "", false
	}
	return set.callers[match], true
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
			if caller, ok := t.check(token); ok {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
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

type callerKey struct{}

// Caller names the caller a request authenticated as: a short hash of its
// valid token (never the token), or "" when the request carried none that
// was checked (an open path, or no tokens required). A token on an open
// path is not checked, so it names nobody.
func Caller(ctx context.Context) string {
	id, _ := ctx.Value(callerKey{}).(string)
	return id
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
