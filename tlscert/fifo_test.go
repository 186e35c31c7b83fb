//go:build unix

package tlscert

import (
	"bytes"
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pxgate/pxgate/internal/testwait"
)

// TestHandshakesDoNotWaitForFileIO: while a reload is stuck reading the
// files (here a FIFO nobody writes yet: a slow or hung volume), handshakes
// are still served the current certificate at once.
func TestHandshakesDoNotWaitForFileIO(t *testing.T) {
	dir := t.TempDir()
	certPEM := writePair(t, dir)
	certFile := filepath.Join(dir, "tls.crt")
	// Handshakes do not look at the files themselves within the minute.
	r, err := load(certFile, filepath.Join(dir, "tls.key"), slog.New(slog.DiscardHandler), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	first := served(t, r)
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(certFile, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	reloaded := make(chan struct{})
	go func() { r.Reload(); close(reloaded) }()
	// Wait until the reload has the FIFO open for reading: only then does
	// a non-blocking open for writing succeed (ENXIO before). From then on
	// the reload is stuck until the test writes and closes its end.
	var w *os.File
	testwait.Until(t, "the reload to open the FIFO", func() bool {
		f, err := os.OpenFile(certFile, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil && !errors.Is(err, syscall.ENXIO) {
			t.Fatal(err)
		}
		w = f
		return err == nil
	})
	// Release the reload however the test ends: the same certificate is
	// written.
	defer func() {
		if _, err := w.Write(certPEM); err != nil {
			t.Error(err)
		}
		w.Close()
		<-reloaded
	}()
	select {
	case <-reloaded:
		t.Fatal("the reload did not wait for the FIFO")
	default:
	}

	got := make(chan *tls.Certificate, 1)
	go func() {
		c, _ := r.GetCertificate(&tls.ClientHelloInfo{})
		got <- c
	}()
	select {
	case c := <-got:
		if c == nil || !bytes.Equal(c.Certificate[0], first) {
			t.Error("a handshake during a reload did not get the current certificate")
		}
	case <-time.After(time.Minute): // waiting for the reload would be forever: it ends only after this
		t.Fatal("a handshake waited for the reload's file I/O")
	}
}
