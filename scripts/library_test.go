package scripts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/internal/testwait"
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
// serves the script library lib, and a cloud-mode client for it.
func libraryClient(t *testing.T, lib []fakevizier.LibraryScript) *vizier.Client {
	t.Helper()
	serverTLS, caPEM, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakevizier.Start(fakevizier.Options{
		APIKey:  "px-api-s3cr3t-library",
		TLS:     serverTLS,
		Scripts: lib,
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

func TestPixieLibraryListsTheSameBeforeAndAfterARun(t *testing.T) {
	t.Parallel()
	c, _, err := Load(Options{Library: libraryClient(t, testLibrary)})
	if err != nil {
		t.Fatal(err)
	}
	find := func() *Script {
		list, err := c.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if s.Name == "px/service_let" {
				return s
			}
		}
		t.Fatal("px/service_let is not listed")
		return nil
	}
	lib := find()
	// The listing fetched what it lists: the entry and its parameters,
	// with the library's own description (not the docstring).
	if lib.Origin != OriginPixie || lib.Description != "Service LET." || lib.Title != "Service LET" || lib.Entry != "svc" ||
		len(lib.Params) != 2 || lib.Params[1].Type != "px.Service" || lib.Params[1].Description != "the service" || lib.Pending != "" {
		t.Fatalf("listed library script: %+v", lib)
	}
	s, err := c.Get(t.Context(), "px/service_let")
	if err != nil {
		t.Fatal(err)
	}
	if s != lib {
		t.Errorf("a run fetched another script than the listing: %+v", s)
	}
	if after := find(); after.Description != lib.Description || after.Entry != lib.Entry || len(after.Params) != len(lib.Params) {
		t.Errorf("the listing changed after a run: %+v", after)
	}
	fn, err := s.Bind("", map[string]string{"service": "default/consumer", "start_time": "-5m"})
	if err != nil || fn.Name != "svc" {
		t.Errorf("Bind: %+v %v", fn, err)
	}
	if _, err := s.Bind("", map[string]string{"service": "default/consumer"}); err == nil {
		t.Error("missing start_time (no default in the library script) was accepted")
	}
	if p, err := c.Get(t.Context(), "px/cluster"); err != nil || p.Entry != "" || !p.Runnable() || p.NeedsFunc() {
		t.Errorf("px/cluster: %+v %v", p, err)
	}
	if _, err := c.Get(t.Context(), "px/nope"); err == nil {
		t.Error("unknown library script found")
	}
}

// TestLiveViewFunctions: a library script shaped like Pixie's live views
// (several functions, no px.display) lists its callable functions with the
// view's defaults and descriptions, and runs one named by func.
func TestLiveViewFunctions(t *testing.T) {
	t.Parallel()
	c, _, err := Load(Options{Library: libraryClient(t, fakevizier.SampleLibrary())})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := c.Get(t.Context(), "px/service")
	if err != nil {
		t.Fatal(err)
	}
	if !svc.Runnable() || !svc.NeedsFunc() || svc.Entry != "" || len(svc.Params) != 0 ||
		svc.Description != "Overview of a service: its pods, and the latency, error rate and throughput of the requests it receives." {
		t.Fatalf("px/service: %+v", svc)
	}
	var names []string
	for _, f := range svc.Functions {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "pods_for_service inbound_let_timeseries slowest_requests let_helper" {
		t.Fatalf("functions: %s", got)
	}
	let := svc.Functions[1]
	if !let.View || let.Description != "Compute the let as a timeseries for requests received by `service`." ||
		*let.Params[0].Default != "-5m" || let.Params[0].Description != "The timestamp of data to start at." ||
		let.Params[1].Default != nil || !let.Params[1].Required {
		t.Errorf("inbound_let_timeseries: %+v", let)
	}
	slow := svc.Functions[2]
	if p := slow.Params[2]; p.Name != "limit" || p.Type != "int" || p.Default == nil || *p.Default != "20" || p.Description != "How many requests to keep." {
		t.Errorf("slowest_requests' limit: %+v", p)
	}
	if p := slow.Params[1]; p.Description != "The name of the service to get stats for. Format: ns/svc_name" {
		t.Errorf("a parameter without @description takes the view variable's: %+v", p)
	}
	if h := svc.Functions[3]; h.View || h.Params[0].Default != nil {
		t.Errorf("let_helper is not in the view and has no default: %+v", h)
	}

	_, err = svc.Bind("", map[string]string{"service": "default/consumer"})
	var fe *FuncError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `inbound_let_timeseries(start_time: str = "-5m", service: px.Service)`) {
		t.Errorf("a run without func: %v", err)
	}
	_, err = svc.Bind("nope", nil)
	if !errors.As(err, &fe) || fe.Func != "nope" || !strings.Contains(err.Error(), "has no function nope; its functions: pods_for_service(") {
		t.Errorf("an unknown func: %v", err)
	}
	fn, err := svc.Bind("slowest_requests", map[string]string{"service": "default/consumer"})
	if err != nil || fn.Name != "slowest_requests" || len(fn.Args) != 3 || fn.Args[0].Value != "-5m" || fn.Args[2].Value != "20" {
		t.Errorf("Bind slowest_requests: %+v %v", fn, err)
	}
	_, err = svc.Bind("pods_for_service", map[string]string{"service": "default/consumer", "limit": "3"})
	if err == nil || !strings.Contains(err.Error(), "limit: unknown argument (px/service's pods_for_service takes start_time, service)") {
		t.Errorf("an argument of another function: %v", err)
	}

	// One typed function and an untyped helper: the view's function is
	// the entry, the helper is not callable.
	nodes, err := c.Get(t.Context(), "px/nodes")
	if err != nil {
		t.Fatal(err)
	}
	if nodes.Entry != "nodes" || nodes.NeedsFunc() || len(nodes.Functions) != 1 || *nodes.Params[0].Default != "-5m" {
		t.Errorf("px/nodes: %+v", nodes)
	}
	if fn, err := nodes.Bind("", nil); err != nil || fn.Name != "nodes" || fn.Args[0].Value != "-5m" {
		t.Errorf("Bind px/nodes: %+v %v", fn, err)
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
	// The caller has no deadline: without the catalog's own bound the
	// lookups would never return.
	_, err = c.Get(t.Context(), "px/service_let")
	if pixie.KindOf(err) != pixie.KindTimeout {
		t.Errorf("got %v, want a timeout", err)
	}
	if _, err := c.List(t.Context()); pixie.KindOf(err) != pixie.KindTimeout {
		t.Errorf("List: got %v, want a timeout", err)
	}

	// The list answers, the scripts' sources do not: they are listed as
	// pending, and a run of one is bounded too. While the cloud answers,
	// the catalog's bound is one no busy machine reaches: only the hanging
	// calls are meant to meet it.
	s.SetLibraryHang(false)
	c.libWait = testwait.Bound
	if _, err := c.Get(t.Context(), "px/nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err) // the list is cached now, no script is
	}
	s.SetLibraryHang(true)
	c.libWait = 100 * time.Millisecond
	list, err := c.List(t.Context())
	if pixie.KindOf(err) != pixie.KindTimeout || !strings.Contains(err.Error(), "library script px/") {
		t.Errorf("List with hanging sources: got %v, want a timeout naming the script", err)
	}
	pending := 0
	for _, s := range list {
		if s.Origin == OriginPixie {
			if s.Pending == "" || s.Runnable() || s.Description == "" || len(s.Params) != 0 {
				t.Errorf("a script that could not be fetched: %+v", s)
			}
			pending++
		}
	}
	if pending != 2 {
		t.Errorf("%d library scripts listed, want 2", pending)
	}
	if _, err := c.Get(t.Context(), "px/service_let"); pixie.KindOf(err) != pixie.KindTimeout {
		t.Errorf("fetching the source: got %v, want a timeout", err)
	}
	// Once the cloud answers, the listing has everything.
	s.SetLibraryHang(false)
	c.libWait = testwait.Bound
	list, err = c.List(t.Context())
	for _, s := range list {
		if s.Origin == OriginPixie && s.Pending != "" {
			t.Errorf("still pending: %+v (%v)", s, err)
		}
	}
}
