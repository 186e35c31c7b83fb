// Package tlscert serves a TLS certificate from PEM files that may be
// replaced while the server runs (cert-manager, a rotated Kubernetes
// Secret): the files are re-read when they change (checked at most once a
// second, on handshakes) and on Reload (SIGHUP), and a bad pair never
// replaces the last good one. Handshakes never wait for file I/O.
package tlscert

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/pxgate/pxgate/internal/filewatch"
)

// checkEvery bounds how often a handshake looks at the files.
const checkEvery = time.Second

// Reloader holds the current certificate. It is safe for concurrent use.
type Reloader struct {
	w *filewatch.Watcher[tls.Certificate]
}

// Load reads the key pair; an error here is a configuration error.
func Load(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	return load(certFile, keyFile, log, checkEvery)
}

func load(certFile, keyFile string, log *slog.Logger, every time.Duration) (*Reloader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := filewatch.New(filewatch.Options[tls.Certificate]{
		Files: []string{certFile, keyFile},
		Every: every,
		Load: func() (*tls.Certificate, error) {
			cert, err := loadKeyPair(certFile, keyFile)
			if err != nil {
				return nil, err
			}
			return &cert, nil
		},
		Loaded: func(c *tls.Certificate) {
			log.Info("TLS certificate reloaded", "not_after", c.Leaf.NotAfter.UTC().Format(time.RFC3339))
		},
		// Often a rotation seen half-way (the certificate written, the key
		// not yet): the next change of the files retries.
		Failed: func(err error) {
			log.Warn("TLS certificate not reloaded; serving the last good one", "err", err)
		},
	})
	if err != nil {
		return nil, err
	}
	return &Reloader{w: w}, nil
}

// loadKeyPair reads and checks a PEM certificate (chain) and its private
// key. The error names the files, never their contents.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TLS key pair %s, %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// GetCertificate is for tls.Config.GetCertificate: the current pair,
// re-read first when the files changed since the last look (at most once
// a second; a handshake arriving while another looks gets the current pair).
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.w.Check()
	return r.w.Current(), nil
}

// Reload re-reads the files now, changed or not (SIGHUP); on failure the
// last good pair stays and the reason is logged.
func (r *Reloader) Reload() {
	_ = r.w.Reload()
}
