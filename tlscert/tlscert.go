// Package tlscert serves a TLS certificate from PEM files that may be
// replaced while the server runs (cert-manager, a rotated Kubernetes
// Secret): the files are re-read when they change, and a bad pair never
// replaces the last good one.
package tlscert

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// checkEvery bounds how often a handshake looks at the files.
const checkEvery = time.Second

// Reloader holds the current certificate. It is safe for concurrent use.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' sizes and modification times at the last load
	checked time.Time
}

// Load reads the key pair; an error here is a configuration error.
func Load(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := r.fileStamp()
	if err != nil {
		return nil, err
	}
	if err := r.load(stamp); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is for tls.Config.GetCertificate: the current pair,
// re-read first when the files changed since the last look (at most once
// a second).
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= checkEvery {
		r.checked = time.Now()
		r.reloadLocked()
	}
	return r.cert, nil
}

// Reload re-reads the files now if they changed (SIGHUP).
func (r *Reloader) Reload() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reloadLocked()
}

func (r *Reloader) reloadLocked() {
	stamp, err := r.fileStamp()
	if err != nil {
		r.log.Warn("TLS certificate files unreadable; serving the last good certificate", "err", err)
		return
	}
	if stamp == r.stamp {
		return
	}
	if err := r.load(stamp); err != nil {
		// Often a rotation seen half-way (the certificate written, the key
		// not yet): the next look retries.
		r.log.Warn("TLS certificate not reloaded; serving the last good one", "err", err)
		return
	}
	r.log.Info("TLS certificate reloaded", "not_after", r.cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
}

// load reads the pair and makes it current; r.mu is held (or r is new).
func (r *Reloader) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		// The error names the files, never their contents.
		return fmt.Errorf("TLS key pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.stamp = &cert, stamp
	return nil
}

// fileStamp identifies the files' current versions by size and
// modification time (os.Stat follows the symlinks a mounted Secret uses).
func (r *Reloader) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}
