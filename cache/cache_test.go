package cache

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func entry(body string, at time.Time) *Entry {
	return &Entry{Status: 200, ContentType: "application/json", Body: []byte(body), Created: at}
}

func TestHitMissAndExpiry(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	c := New(10*time.Second, 10, 1<<20)
	c.now = func() time.Time { return now }
	calls := 0
	fn := func() (*Entry, bool, error) { calls++; return entry("a", now), true, nil }
	if _, st, _ := c.Do("k", fn); st != Miss {
		t.Errorf("first: got %s, want miss", st)
	}
	if e, st, _ := c.Do("k", fn); st != Hit || string(e.Body) != "a" {
		t.Errorf("second: got %s, want hit", st)
	}
	now = now.Add(10 * time.Second)
	if _, st, _ := c.Do("k", fn); st != Miss || calls != 2 {
		t.Errorf("after the TTL: got %s with %d calls, want a miss and a second call", st, calls)
	}
}

// TestDoFresh: a caller's max-age shortens the TTL for it alone; its fresh
// answer replaces the older entry for everyone.
func TestDoFresh(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	c := New(time.Minute, 10, 1<<20)
	c.now = func() time.Time { return now }
	calls := 0
	fn := func() (*Entry, bool, error) { calls++; return entry("a", now), true, nil }
	c.Do("k", fn)
	now = now.Add(20 * time.Second)
	if _, st, _ := c.DoFresh("k", 30*time.Second, fn); st != Hit {
		t.Errorf("20 s old, max-age 30 s: got %s, want hit", st)
	}
	if _, st, _ := c.DoFresh("k", 10*time.Second, fn); st != Miss || calls != 2 {
		t.Errorf("20 s old, max-age 10 s: got %s with %d calls, want a miss", st, calls)
	}
	if e, st, _ := c.Do("k", fn); st != Hit || !e.Created.Equal(now) {
		t.Errorf("after the refresh: got %s, created %s; want a hit on the new answer", st, e.Created)
	}
	now = now.Add(59 * time.Second)
	if _, st, _ := c.DoFresh("k", time.Hour, fn); st != Hit {
		t.Errorf("max-age above the TTL, entry within it: got %s, want hit", st)
	}
	now = now.Add(time.Second)
	if _, st, _ := c.DoFresh("k", time.Hour, fn); st != Miss {
		t.Errorf("max-age above the TTL, entry past it: got %s, want miss", st)
	}
}

func TestErrorsAndUncacheableAnswersAreNotKept(t *testing.T) {
	t.Parallel()
	c := New(time.Minute, 10, 1<<20)
	boom := errors.New("pixie down")
	if _, _, err := c.Do("k", func() (*Entry, bool, error) { return nil, false, boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	c.Do("k2", func() (*Entry, bool, error) { return entry("x", time.Now()), false, nil })
	if n, _ := c.Len(); n != 0 {
		t.Errorf("got %d entries, want 0", n)
	}
}

// TestConcurrentIdenticalRequestsShareOneQuery: callers arriving while a
// query for their key runs wait for it and share its answer. In a synctest
// bubble, synctest.Wait returns once every caller is blocked (the first in
// its query, the others on the flight), so all 8 are in flight by
// construction, however slow the machine: none can be a later Hit.
func TestConcurrentIdenticalRequestsShareOneQuery(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := New(time.Minute, 10, 1<<20)
		var calls atomic.Int32
		release := make(chan struct{})
		var wg sync.WaitGroup
		states := make(chan State, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, st, err := c.Do("k", func() (*Entry, bool, error) {
					calls.Add(1)
					<-release
					return entry("a", time.Now()), true, nil
				})
				if err != nil {
					t.Error(err)
				}
				states <- st
			}()
		}
		synctest.Wait() // all 8 are blocked: one in the query, 7 on its flight
		close(release)
		wg.Wait()
		close(states)
		if n := calls.Load(); n != 1 {
			t.Errorf("the query ran %d times, want once", n)
		}
		counts := map[State]int{}
		for st := range states {
			counts[st]++
		}
		if counts[Miss] != 1 || counts[Shared] != 7 {
			t.Errorf("states: %v, want 1 miss and 7 shared", counts)
		}
	})
}

func TestBounds(t *testing.T) {
	t.Parallel()
	c := New(time.Minute, 3, 100)
	put := func(k string, size int) {
		c.Do(k, func() (*Entry, bool, error) { return entry(strings.Repeat("x", size), time.Now()), true, nil })
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		put(k, 10)
	}
	if n, b := c.Len(); n != 3 || b != 30 {
		t.Errorf("entries cap: got %d entries, %d bytes", n, b)
	}
	if _, st, _ := c.Do("a", func() (*Entry, bool, error) { return entry("a", time.Now()), false, nil }); st != Miss {
		t.Errorf("the least recently used entry was kept")
	}
	put("big", 26) // above maxBytes/4: never kept
	if _, b := c.Len(); b != 30 {
		t.Errorf("an oversized answer was kept: %d bytes", b)
	}
	put("e", 25)
	put("f", 25)
	put("g", 25)
	if _, b := c.Len(); b > 100 {
		t.Errorf("bytes cap: got %d", b)
	}
}
