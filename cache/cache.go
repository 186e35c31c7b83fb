// Package cache shares the answers of identical queries: concurrent
// identical requests run one Pixie query (singleflight), and its answer is
// kept for a TTL in an LRU bounded both in entries and in bytes. It stores
// finished responses (status, content type, body), so a hit costs no Pixie
// query and no encoding.
package cache

import (
	"container/list"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Entry is a cached answer. Entries are immutable once stored.
type Entry struct {
	Status      int
	ContentType string
	// Header holds the answer's other headers that say what it is (such
	// as its verdict), replayed with it; nil: none. Read-only.
	Header  http.Header
	Body    []byte
	Created time.Time
}

// State says where an answer came from.
type State string

// States of an answer.
const (
	Miss   State = "miss"   // this request ran the query
	Hit    State = "hit"    // answered from the cache
	Shared State = "shared" // joined an identical request's query in flight
)

// Cache is safe for concurrent use. The zero value is not usable: use New.
type Cache struct {
	ttl        time.Duration
	maxEntries int
	maxBytes   int64
	now        func() time.Time

	group singleflight.Group

	mu    sync.Mutex
	lru   *list.List // of *item, most recently used first
	items map[string]*list.Element
	bytes int64
}

type item struct {
	key   string
	entry *Entry
}

// New returns a cache keeping answers for ttl, at most maxEntries of them
// and maxBytes of bodies in all; an answer larger than maxBytes/4 is never
// kept (one big result must not evict everything).
func New(ttl time.Duration, maxEntries int, maxBytes int64) *Cache {
	return &Cache{ttl: ttl, maxEntries: maxEntries, maxBytes: maxBytes, now: time.Now,
		lru: list.New(), items: map[string]*list.Element{}}
}

// SetClock makes c read the time from now instead of time.Now: the clock
// that ages its entries (their Created, their TTL, a caller's max-age).
// Tests move a clock of their own instead of sleeping until an answer is
// old. Call it before c is used.
func (c *Cache) SetClock(now func() time.Time) { c.now = now }

// Now is the time on c's clock: what an Entry's Created is set from, and
// its age measured against.
func (c *Cache) Now() time.Time { return c.now() }

// Do returns the cached answer for key, or runs fn once for all concurrent
// callers with that key. fn reports whether its answer may be kept (e.g.
// not an error); an error is shared with the callers in flight but never
// kept.
func (c *Cache) Do(key string, fn func() (*Entry, bool, error)) (*Entry, State, error) {
	return c.DoFresh(key, c.ttl, fn)
}

// Lookup returns the kept answer for key when it is younger than maxAge
// (and the TTL), else nil, without running anything: what DoFresh answers
// a hit with. A caller that looks first builds its fn only on a miss.
func (c *Cache) Lookup(key string, maxAge time.Duration) *Entry {
	return c.get(key, maxAge)
}

// DoFresh is Do for a caller that accepts only answers younger than maxAge
// (HTTP's Cache-Control: max-age); an older entry is replaced by a new
// query's answer. maxAge above the TTL counts as the TTL.
func (c *Cache) DoFresh(key string, maxAge time.Duration, fn func() (*Entry, bool, error)) (*Entry, State, error) {
	if e := c.get(key, maxAge); e != nil {
		return e, Hit, nil
	}
	ran := false // singleflight reports "shared" to the leader too
	v, err, _ := c.group.Do(key, func() (any, error) {
		ran = true
		e, keep, err := fn()
		if err == nil && keep {
			c.put(key, e)
		}
		return e, err
	})
	state := Shared
	if ran {
		state = Miss
	}
	e, _ := v.(*Entry)
	return e, state, err
}

// Len returns the number of entries and their body bytes.
func (c *Cache) Len() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

func (c *Cache) get(key string, maxAge time.Duration) *Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	it := el.Value.(*item)
	age := c.now().Sub(it.entry.Created)
	if age >= c.ttl {
		c.remove(el)
		return nil
	}
	if age >= maxAge {
		return nil // too old for this caller; its answer replaces the entry
	}
	c.lru.MoveToFront(el)
	return it.entry
}

func (c *Cache) put(key string, e *Entry) {
	size := int64(len(e.Body))
	if size > c.maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.lru.PushFront(&item{key: key, entry: e})
	c.bytes += size
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

// remove drops el; c.mu is held.
func (c *Cache) remove(el *list.Element) {
	it := c.lru.Remove(el).(*item)
	delete(c.items, it.key)
	c.bytes -= int64(len(it.entry.Body))
}
