// Package filewatch keeps a value loaded from files that may be replaced
// while the process runs (a rotated Kubernetes Secret, cert-manager, an
// edited tokens file). It is the one implementation behind pxgate's caller
// tokens (auth) and serving certificate (tlscert):
//
//   - Current never touches the disk: the value is an atomic pointer, so
//     requests and TLS handshakes do not wait for file I/O.
//   - Check, called on use, looks at the files' sizes and modification
//     times at most once per Every and re-reads them only when that stamp
//     changed. Only one caller looks at a time; the others go on with the
//     current value.
//   - Reload (SIGHUP) always re-reads, whatever the stamp: a replacement
//     with the same sizes and times (cp -p, tar x, rsync -t) is picked up.
//   - A failed load never replaces the last good value. Its stamp is
//     remembered, so a broken version is loaded and reported once, not on
//     every check; a change to the files (or a Reload) tries again.
package filewatch

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Watcher.
type Options[T any] struct {
	// Files are the paths whose sizes and modification times identify the
	// version loaded (os.Stat follows the symlinks a mounted Secret uses).
	Files []string
	// Load reads the files. Its error must not contain the files' contents.
	Load func() (*T, error)
	// Every bounds how often Check looks at the files; 0 looks on every call.
	Every time.Duration
	// Now, if set, is the clock Every is measured on; nil means time.Now.
	// Tests move a clock of their own instead of waiting for Every to pass.
	Now func() time.Time
	// Loaded, if set, is told about each value loaded after the first.
	Loaded func(v *T)
	// Failed, if set, is told why the files could not be loaded or stat'ed:
	// once per version seen by Check, and on every failed Reload. The
	// previous value stays in force.
	Failed func(err error)
}

// Watcher holds the current value. It is safe for concurrent use.
type Watcher[T any] struct {
	opts    Options[T]
	cur     atomic.Pointer[T]
	checked atomic.Int64 // UnixNano of the last look by Check

	mu    sync.Mutex // serialises looks and loads
	stamp string     // the version last attempted, loaded or not
}

// New loads the files once; an error here is the caller's to report.
func New[T any](opts Options[T]) (*Watcher[T], error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Watcher[T]{opts: opts}
	w.checked.Store(opts.Now().UnixNano())
	stamp, err := w.fileStamp()
	if err != nil {
		return nil, err
	}
	v, err := opts.Load()
	if err != nil {
		return nil, err
	}
	w.cur.Store(v)
	w.stamp = stamp
	return w, nil
}

// Current returns the value in force, without I/O.
func (w *Watcher[T]) Current() *T { return w.cur.Load() }

// Check re-reads the files if Every has passed since the last look and
// their stamp changed since the last attempt. It returns at once when
// another goroutine is looking or loading.
func (w *Watcher[T]) Check() {
	now := w.opts.Now().UnixNano()
	last := w.checked.Load()
	if time.Duration(now-last) < w.opts.Every || !w.checked.CompareAndSwap(last, now) {
		return
	}
	if !w.mu.TryLock() {
		return
	}
	defer w.mu.Unlock()
	stamp, err := w.fileStamp()
	if err != nil {
		// Report an unreadable file once per distinct error, not per look.
		stamp = "error: " + err.Error()
	}
	if stamp == w.stamp {
		return
	}
	w.stamp = stamp
	if err == nil {
		err = w.load()
	}
	if err != nil {
		w.failed(err)
	}
}

// Reload re-reads the files now, whatever their stamp (SIGHUP). On failure
// the previous value stays in force and the error is returned (and given
// to Failed).
func (w *Watcher[T]) Reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checked.Store(w.opts.Now().UnixNano())
	stamp, err := w.fileStamp()
	if err != nil {
		w.stamp = "error: " + err.Error()
	} else {
		w.stamp = stamp
		err = w.load()
	}
	if err != nil {
		w.failed(err)
	}
	return err
}

// load reads the files and makes the result current; w.mu is held.
func (w *Watcher[T]) load() error {
	v, err := w.opts.Load()
	if err != nil {
		return err
	}
	w.cur.Store(v)
	if w.opts.Loaded != nil {
		w.opts.Loaded(v)
	}
	return nil
}

func (w *Watcher[T]) failed(err error) {
	if w.opts.Failed != nil {
		w.opts.Failed(err)
	}
}

// fileStamp identifies the files' current versions by size and
// modification time.
func (w *Watcher[T]) fileStamp() (string, error) {
	var stamp string
	for _, f := range w.opts.Files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}
