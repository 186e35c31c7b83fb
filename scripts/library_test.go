package scripts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// testLibrary is the fake cloud's script library.
var testLibrary = []fakevizier.LibraryScript{
	{ID: "id-1", Name: "px/service_let", Desc: "Service LET.", Contents: "import px\n\ndef svc(start_time: str, service: px.Service):\n    ''' LET of a service.\n\n    @service: the service\n    '''\n    return px.DataFrame('http_events', start_time=start_time)\n"},
	{ID: "id-2", Name: "px/cluster", Desc: "Cluster overview.", Contents: "import px\npx.display(px.DataFrame('process_stats').head(3))\n"},
}

// libraryClient runs a fake Pixie Cloud (TLS, as the cloud always is) that
// serves a small script library, and a cloud-mode client for it.
func libraryClient(t *testing.T) *vizier.Client {
	t.Helper()
	serverTLS, caPEM, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakevizier.Start(fakevizier.Options{
		APIKey:  "px-api-s3cr3t-library",
		TLS:     serverTLS,
		Scripts: testLibrary,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := vizier.New(vizier.Config{CloudAddr: s.Addr(), APIKey: "px-api-s3cr3t-library", CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPixieLibraryIsListedAndFetchedLazily(t *testing.T) {
	t.Parallel()
	c, _, err := Load(Options{Library: libraryClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var lib *Script
	for _, s := range list {
		if s.Name == "px/service_let" {
			lib = s
		}
	}
	if lib == nil || lib.Origin != OriginPixie || lib.Description != "Service LET." || len(lib.Params) != 0 {
		t.Fatalf("library entry before fetching: %+v", lib)
	}
	s, err := c.Get(t.Context(), "px/service_let")
	if err != nil {
		t.Fatal(err)
	}
	if s.Entry != "svc" || len(s.Params) != 2 || s.Params[1].Type != "px.Service" || s.Params[1].Description != "the service" {
		t.Errorf("fetched library script: %+v", s)
	}
	fn, err := s.Bind(map[string]string{"service": "default/consumer", "start_time": "-5m"})
	if err != nil || fn.Name != "svc" {
		t.Errorf("Bind: %+v %v", fn, err)
	}
	if _, err := s.Bind(map[string]string{"service": "default/consumer"}); err == nil {
		t.Error("missing start_time (no default in the library script) was accepted")
	}
	// Once fetched, the list shows the parameters too.
	list, _ = c.List(t.Context())
	for _, s := range list {
		if s.Name == "px/service_let" && len(s.Params) != 2 {
			t.Errorf("list after fetch: %+v", s)
		}
	}
	if p, err := c.Get(t.Context(), "px/cluster"); err != nil || p.Entry != "" || !p.Runnable() {
		t.Errorf("px/cluster: %+v %v", p, err)
	}
	if _, err := c.Get(t.Context(), "px/nope"); err == nil {
		t.Error("unknown library script found")
	}
}

// TestUnresponsiveLibraryIsBounded: a cloud that never answers costs a
// lookup LibraryTimeout, not the caller's whole patience, and says so.
func TestUnresponsiveLibraryIsBounded(t *testing.T) {
	t.Parallel()
	serverTLS, _, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakevizier.Start(fakevizier.Options{APIKey: "px-api-s3cr3t-library", TLS: serverTLS, Scripts: testLibrary, LibraryHang: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	lib, err := vizier.New(vizier.Config{CloudAddr: s.Addr(), APIKey: "px-api-s3cr3t-library", SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	c, _, err := Load(Options{Library: lib, LibraryTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The caller would wait 3 s; the catalog's own bound must end it first.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err = c.Get(ctx, "px/service_let")
	if pixie.KindOf(err) != pixie.KindTimeout {
		t.Errorf("got %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the lookup took %v", d)
	}
	start = time.Now()
	if _, err := c.List(ctx); pixie.KindOf(err) != pixie.KindTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("List: got %v, want a timeout", err)
	}

	// The list answers, the script's source does not.
	s.SetLibraryHang(false)
	if _, err := c.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.SetLibraryHang(true)
	ctx, cancel = context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	start = time.Now()
	if _, err := c.Get(ctx, "px/service_let"); pixie.KindOf(err) != pixie.KindTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("fetching the source: got %v, want a timeout", err)
	}
}
