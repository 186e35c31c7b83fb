//go:build unix

package tlscert

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
	// Release the reload however the test ends: opening the FIFO for
	// writing waits for the reader, then the same certificate is written.
	defer func() {
		f, err := os.OpenFile(certFile, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = f.Write(certPEM)
		f.Close()
		<-reloaded
	}()
	time.Sleep(50 * time.Millisecond) // the reload is now blocked reading the FIFO

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
	case <-time.After(2 * time.Second):
		t.Fatal("a handshake waited for the reload's file I/O")
	}
}
