package handlers

import (
	"context"
	"net"
	"sync"

	"github.com/pxgate/pxgate/auth"
)

// callerShares caps the queries one caller runs at once, so that a caller
// with slow queries cannot hold every slot of MaxConcurrent while the
// others, dashboards' /probe included, get 429s.
type callerShares struct {
	limit int // queries one caller may run at once
	mu    sync.Mutex
	held  map[string]*callerSlots // by caller key; deleted when unused
}

// callerSlots is one caller's semaphore and how many requests use it.
type callerSlots struct {
	ch    chan struct{}
	users int
}

func newCallerShares(limit int) *callerShares {
	return &callerShares{limit: limit, held: make(map[string]*callerSlots)}
}

// join returns key's semaphore, counting one more user of it.
func (c *callerShares) join(key string) *callerSlots {
	c.mu.Lock()
	defer c.mu.Unlock()
	sl := c.held[key]
	if sl == nil {
		sl = &callerSlots{ch: make(chan struct{}, c.limit)}
		c.held[key] = sl
	}
	sl.users++
	return sl
}

// leave undoes join, forgetting a caller nobody uses any more.
func (c *callerShares) leave(key string, sl *callerSlots) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sl.users--; sl.users == 0 {
		delete(c.held, key)
	}
}

// callerOf names the caller of the request whose context ctx is, for the
// per-caller share of query slots: the token it authenticated with
// (auth.Caller; only a token Options.Authenticate checked counts, so
// made-up tokens on an open path cannot buy more shares), else the
// client's address. Callers behind one proxy share one share. It is asked
// when a query is admitted, not for every request. "" when ctx is no
// request's (such requests share one share).
func callerOf(ctx context.Context) string {
	if id := auth.Caller(ctx); id != "" {
		return "token:" + id
	}
	q := requestOf(ctx)
	if q == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(q.remoteAddr)
	if err != nil {
		host = q.remoteAddr
	}
	return "addr:" + host
}
