package tlscert

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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

// served returns the leaf certificate a handshake would get now.
func served(t *testing.T, r *Reloader) []byte {
	t.Helper()
	r.checked = time.Time{} // look at the files now, not within checkEvery
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificate[0]
}

func TestReloadsChangedFilesAndKeepsTheLastGoodPair(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir)
	var logs bytes.Buffer
	r, err := Load(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	first := served(t, r)
	if !bytes.Equal(served(t, r), first) {
		t.Fatal("unchanged files: the certificate changed")
	}

	// Rotation: a new pair is served from the next handshake on.
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	writePair(t, dir)
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
