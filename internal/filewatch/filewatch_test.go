package filewatch

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type content struct{ s string }

func watch(t *testing.T, every time.Duration) (w *Watcher[content], path string, loads, fails *atomic.Int32) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	loads, fails = new(atomic.Int32), new(atomic.Int32)
	w, err := New(Options[content]{
		Files: []string{path},
		Every: every,
		Load: func() (*content, error) {
			loads.Add(1)
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			if string(b) == "bad" {
				return nil, errors.New("bad content")
			}
			return &content{string(b)}, nil
		},
		Failed: func(error) { fails.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return w, path, loads, fails
}

func rewrite(t *testing.T, path, s string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestCheckLooksAtMostOncePerEvery(t *testing.T) {
	w, path, loads, _ := watch(t, time.Hour)
	rewrite(t, path, "v2", time.Now().Add(time.Minute))
	w.Check()
	if got := w.Current().s; got != "v1" || loads.Load() != 1 {
		t.Errorf("within Every: %q after %d loads, want v1 after 1", got, loads.Load())
	}
	if err := w.Reload(); err != nil || w.Current().s != "v2" {
		t.Errorf("Reload: %v, %q", err, w.Current().s)
	}
}

// TestCheckLooksOnceEveryPassed: on the Now clock, Check looks again (and
// picks up a change) once Every has passed since the last look, not before.
func TestCheckLooksOnceEveryPassed(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC).UnixNano())
	path := filepath.Join(t.TempDir(), "f")
	rewrite(t, path, "v1", time.Now())
	w, err := New(Options[content]{
		Files: []string{path},
		Every: time.Minute,
		Now:   func() time.Time { return time.Unix(0, clock.Load()) },
		Load: func() (*content, error) {
			b, err := os.ReadFile(path)
			return &content{string(b)}, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, path, "v2", time.Now().Add(time.Minute))
	clock.Add(int64(time.Minute - time.Nanosecond))
	if w.Check(); w.Current().s != "v1" {
		t.Errorf("before Every passed: %q, want v1", w.Current().s)
	}
	clock.Add(int64(time.Nanosecond))
	if w.Check(); w.Current().s != "v2" {
		t.Errorf("once Every passed: %q, want v2", w.Current().s)
	}
}

func TestCheckReloadsChangedStampsOnlyAndReportsFailuresOnce(t *testing.T) {
	w, path, loads, fails := watch(t, 0)
	w.Check()
	if loads.Load() != 1 {
		t.Errorf("an unchanged stamp was re-read: %d loads", loads.Load())
	}
	rewrite(t, path, "bad", time.Now().Add(time.Minute))
	for range 3 {
		w.Check()
	}
	if w.Current().s != "v1" || loads.Load() != 2 || fails.Load() != 1 {
		t.Errorf("a broken version: %q, %d loads, %d failures; want v1, 2, 1", w.Current().s, loads.Load(), fails.Load())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w.Check()
	}
	if fails.Load() != 2 {
		t.Errorf("a missing file: %d failures in all, want 2", fails.Load())
	}
	rewrite(t, path, "v3", time.Now().Add(2*time.Minute))
	w.Check()
	if w.Current().s != "v3" {
		t.Errorf("a fixed file: %q, want v3", w.Current().s)
	}
}

func TestConcurrentUse(t *testing.T) {
	w, path, _, _ := watch(t, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				w.Check()
				if w.Current() == nil {
					t.Error("no current value")
				}
				if i == 0 && j%10 == 0 {
					// A write racing a load may be read half-way: fine either way.
					_ = os.WriteFile(path, []byte(time.Now().String()), 0o600)
					_ = w.Reload()
				}
			}
		})
	}
	wg.Wait()
}
