package tlscert

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pixie/fakevizier"
)

func writePair(t *testing.T, dir string) (certPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certPEM
}

var stamps atomic.Int64

// restamp gives the pair in dir a modification time no other call gives
// (a rewrite within the file system's timestamp granularity could keep
// the old one, and sizes can match).
func restamp(t *testing.T, dir string) {
	t.Helper()
	at := time.Unix(1_000_000_000+stamps.Add(1), 0)
	for _, name := range []string{"tls.crt", "tls.key"} {
		if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// served returns the leaf certificate a handshake would get now.
func served(t *testing.T, r *Reloader) []byte {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificate[0]
}

// loadDir loads dir's tls.crt and tls.key, looking at the files on every
// handshake (not once per checkEvery), logging into the buffer returned.
func loadDir(t *testing.T, dir string) (*Reloader, *bytes.Buffer) {
	t.Helper()
	logs := new(bytes.Buffer)
	r, err := load(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), slog.New(slog.NewTextHandler(logs, nil)), 0)
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

func TestReloadsChangedFilesAndKeepsTheLastGoodPair(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir)
	r, logs := loadDir(t, dir)
	first := served(t, r)
	if !bytes.Equal(served(t, r), first) {
		t.Fatal("unchanged files: the certificate changed")
	}

	// Rotation: a new pair is served from the next handshake on.
	writePair(t, dir)
	restamp(t, dir) // a distinct modification time, whatever the clock did
	second := served(t, r)
	if bytes.Equal(second, first) {
		t.Fatal("rotated files: still the old certificate")
	}

	// Half-way through a rotation (a certificate without its key) and
	// missing files: the last good pair stays, and the log says why.
	other, _, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served(t, r), second) {
		t.Error("a mismatched pair replaced the good one")
	}
	if err := os.Remove(filepath.Join(dir, "tls.key")); err != nil {
		t.Fatal(err)
	}
	r.Reload()
	if !bytes.Equal(served(t, r), second) {
		t.Error("a missing key replaced the good pair")
	}
	if n := strings.Count(logs.String(), "serving the last good"); n < 2 {
		t.Errorf("the log has %d warnings, want 2 or more:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Errorf("the log shows key material:\n%s", logs.String())
	}
}

func TestLoadRefusesABadPair(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir)
	other, _, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), other, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), slog.Default())
	if err == nil || !strings.Contains(err.Error(), "tls.crt") {
		t.Errorf("a mismatched pair: %v, want an error naming the files", err)
	}
	if _, err := Load(filepath.Join(dir, "nope.crt"), filepath.Join(dir, "tls.key"), slog.Default()); err == nil {
		t.Error("a missing file loaded")
	}
}

// writeSamePair writes a new pair padded to fixed sizes (PEM ignores the
// trailing blank lines) with a fixed modification time: a rotation that
// size and mtime cannot tell apart, as cp -p, tar x or rsync -t make.
func writeSamePair(t *testing.T, dir string, mtime time.Time) []byte {
	t.Helper()
	certPEM, keyPEM, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		const size = 8192
		if len(b) > size {
			t.Fatalf("%s is %d bytes, more than the padding", name, len(b))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(b, bytes.Repeat([]byte("\n"), size-len(b))...), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return certPEM
}

// TestReloadRereadsUnchangedStamps: SIGHUP re-reads the files even when
// their sizes and modification times are those of the pair in use.
func TestReloadRereadsUnchangedStamps(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	writeSamePair(t, dir, mtime)
	r, logs := loadDir(t, dir)
	first := served(t, r)
	writeSamePair(t, dir, mtime)
	if !bytes.Equal(served(t, r), first) {
		t.Fatal("the stamp did not change, yet a handshake re-read the files") // the test's premise
	}
	r.Reload()
	if bytes.Equal(served(t, r), first) {
		t.Errorf("after Reload (SIGHUP) the old certificate is still served:\n%s", logs.String())
	}
}

// TestABrokenPairIsReportedOnce: a bad pair is loaded and warned about once
// per version of the files, not on every handshake; a Reload tries again,
// and a fixed pair is picked up.
func TestABrokenPairIsReportedOnce(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir)
	r, logs := loadDir(t, dir)
	first := served(t, r)
	other, _, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "tls.crt"), future, future); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if !bytes.Equal(served(t, r), first) {
			t.Fatal("a mismatched pair replaced the good one")
		}
	}
	if n := strings.Count(logs.String(), "not reloaded"); n != 1 {
		t.Errorf("5 handshakes on one broken pair logged %d warnings, want 1:\n%s", n, logs.String())
	}
	r.Reload()
	if n := strings.Count(logs.String(), "not reloaded"); n != 2 {
		t.Errorf("a Reload of the broken pair: %d warnings in all, want 2", n)
	}
	writePair(t, dir)
	restamp(t, dir) // a distinct modification time, whatever the clock did
	if bytes.Equal(served(t, r), first) {
		t.Error("the fixed pair is not served")
	}
}
