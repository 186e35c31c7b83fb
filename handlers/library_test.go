package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
	"github.com/pxgate/pxgate/scripts"
)

// newLibraryEnv is a gateway in cloud mode: a fake Pixie Cloud (TLS)
// serving fakevizier.SampleLibrary (live views with several functions and
// vis specs) and running queries, reached through the real client, with
// the catalog reading the library over gRPC.
func newLibraryEnv(t *testing.T) *env {
	t.Helper()
	serverTLS, caPEM, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	fake, err := fakevizier.Start(fakevizier.Options{APIKey: testAPIKey, ClusterID: testClusterID, TLS: serverTLS, Scripts: fakevizier.SampleLibrary()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cloud, err := vizier.New(vizier.Config{CloudAddr: fake.Addr(), APIKey: testAPIKey, CAFile: ca, ClusterID: testClusterID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cloud.Close() })
	catalog, _, err := scripts.Load(scripts.Options{Library: cloud})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWithFake(t, fake, testAPIKey, func(o *handlers.Options) { o.Pixie, o.Catalog = cloud, catalog })
	e.client = cloud
	return e
}

// listedScript returns one script of GET /v1/scripts, as JSON and decoded.
func listedScript(t *testing.T, e *env, name string) (json.RawMessage, api.Script) {
	t.Helper()
	resp := e.do(t, http.MethodGet, "/v1/scripts", "", nil)
	var list struct {
		Scripts      []json.RawMessage `json:"scripts"`
		LibraryError string            `json:"library_error"`
	}
	if err := json.Unmarshal(resp.body, &list); err != nil || resp.status != http.StatusOK || list.LibraryError != "" {
		t.Fatalf("GET /v1/scripts: %d %v %s", resp.status, err, resp.body)
	}
	for _, raw := range list.Scripts {
		var s api.Script
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.Name == name {
			return raw, s
		}
	}
	t.Fatalf("%s is not listed: %s", name, resp.body)
	return nil, api.Script{}
}

// TestLibraryLiveViewsRunByFunc: Pixie's live views (several functions, no
// px.display) are listed with their functions and run with func on every
// route; without func they are a 400 that lists the functions.
func TestLibraryLiveViewsRunByFunc(t *testing.T) {
	t.Parallel()
	e := newLibraryEnv(t)
	before, svc := listedScript(t, e, "px/service")
	if !svc.NeedsFunc || svc.Entry != "" || svc.Pending != "" || len(svc.Functions) != 4 ||
		svc.Description != "Overview of a service: its pods, and the latency, error rate and throughput of the requests it receives." {
		t.Fatalf("px/service listed as %s", before)
	}
	slow := svc.Functions[2]
	if slow.Name != "slowest_requests" || !slow.View || len(slow.Params) != 3 || *slow.Params[0].Default != "-5m" ||
		!slow.Params[1].Required || slow.Params[1].Type != "px.Service" || *slow.Params[2].Default != "20" {
		t.Errorf("slowest_requests: %+v", slow)
	}

	// Without func: a 400 naming func and the functions, nothing sent.
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/scripts/px/service/run?service=default/consumer", ""},
		{http.MethodPost, "/v1/scripts/px/service/run", `{"args": {"service": "default/consumer"}}`},
		{http.MethodPost, "/v1/run", `{"script_name": "px/service", "args": {"service": "default/consumer"}}`},
		{http.MethodGet, "/probe?script=px/service&service=default/consumer", ""},
		{http.MethodGet, "/v1/scripts/px/service/run?func=nope&service=default/consumer", ""},
	} {
		p := e.do(t, tc.method, tc.path, "application/json", strings.NewReader(tc.body)).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != "func" || !strings.Contains(p.Detail, `slowest_requests(start_time: str = "-5m", service: px.Service, limit: int = "20")`) {
			t.Errorf("%s %s: got %+v", tc.method, tc.path, p)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("%d queries reached Pixie", n)
	}

	// With func, on every route: the function is called with the view's
	// defaults.
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/scripts/px/service/run?func=slowest_requests&service=default/consumer", ""},
		{http.MethodPost, "/v1/scripts/px/service/run", `{"func": "slowest_requests", "args": {"service": "default/consumer"}}`},
		{http.MethodPost, "/v1/run", `{"script_name": "px/service", "func": "slowest_requests", "args": {"service": "default/consumer"}}`},
		{http.MethodGet, "/probe?script=px/service&func=slowest_requests&service=default/consumer", ""},
	} {
		resp := e.do(t, tc.method, tc.path, "application/json", strings.NewReader(tc.body))
		if resp.status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", tc.method, tc.path, resp.status, resp.body)
		}
		reqs := e.fake.Requests()
		fn := reqs[len(reqs)-1].Req.GetExecFuncs()
		if len(fn) != 1 || fn[0].GetFuncName() != "slowest_requests" || len(fn[0].GetArgValues()) != 3 ||
			fn[0].GetArgValues()[0].GetValue() != "-5m" || fn[0].GetArgValues()[1].GetValue() != "default/consumer" || fn[0].GetArgValues()[2].GetValue() != "20" {
			t.Errorf("%s %s: exec_funcs %v", tc.method, tc.path, fn)
		}
	}
	// Another function's argument is refused by name.
	p := e.do(t, http.MethodGet, "/v1/scripts/px/service/run?func=pods_for_service&service=default/consumer&limit=3", "", nil).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "args.limit" || !strings.Contains(p.Errors[0].Message, "pods_for_service takes start_time, service") {
		t.Errorf("an argument pods_for_service does not take: %+v", p)
	}

	// The listing said the same before and after the runs.
	if after, _ := listedScript(t, e, "px/service"); !bytes.Equal(before, after) {
		t.Errorf("the listing changed after a run:\nbefore %s\nafter  %s", before, after)
	}
	// The page's sample curl names the view's first function.
	if page := e.do(t, http.MethodGet, "/", "", nil); !strings.Contains(string(page.body), "/v1/scripts/px/service/run?func=pods_for_service&amp;start_time=-5m&amp;service=&lt;service&gt;") {
		t.Errorf("the page's curl for px/service:\n%s", page.body)
	}
	// The view's only function is the default: no func needed.
	if resp := e.do(t, http.MethodGet, "/v1/scripts/px/nodes/run", "", nil); resp.status != http.StatusOK {
		t.Errorf("px/nodes without func: %d %s", resp.status, resp.body)
	}
}

// TestLibraryValidValues: a parameter the live view offers a list of
// values for is listed with them, takes them, and refuses any other with
// a 400 naming the parameter and the values, before Pixie is asked.
func TestLibraryValidValues(t *testing.T) {
	t.Parallel()
	e := newLibraryEnv(t)
	_, nodes := listedScript(t, e, "px/nodes")
	if len(nodes.Params) != 2 || nodes.Params[1].Name != "groupby" || strings.Join(nodes.Params[1].ValidValues, ",") != "node,pod" {
		t.Fatalf("px/nodes params: %+v", nodes.Params)
	}
	if resp := e.do(t, http.MethodGet, "/v1/scripts/px/nodes/run?groupby=pod", "", nil); resp.status != http.StatusOK {
		t.Errorf("groupby=pod: %d %s", resp.status, resp.body)
	}
	before := len(e.fake.Requests())
	p := e.do(t, http.MethodGet, "/v1/scripts/px/nodes/run?groupby=service", "", nil).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "args.groupby" || !strings.Contains(p.Errors[0].Message, "node, pod") {
		t.Errorf("groupby=service: errors %+v", p.Errors)
	}
	if n := len(e.fake.Requests()); n != before {
		t.Errorf("the refused run reached Pixie")
	}
}

// TestLibraryListingDoesNotChangeAfterFirstUse: a library script fetched
// by a run (before any listing) is listed as a listing fetches it, with the
// library's description (no docstring, no stray Args:).
func TestLibraryListingDoesNotChangeAfterFirstUse(t *testing.T) {
	t.Parallel()
	first := newLibraryEnv(t)
	if resp := first.do(t, http.MethodGet, "/v1/scripts/px/nodes", "", nil); resp.status != http.StatusOK {
		t.Fatalf("GET /v1/scripts/px/nodes: %d %s", resp.status, resp.body)
	}
	fetchedFirst, nodes := listedScript(t, first, "px/nodes")
	listedFirst, _ := listedScript(t, newLibraryEnv(t), "px/nodes")
	if !bytes.Equal(fetchedFirst, listedFirst) {
		t.Errorf("fetched then listed:\n%s\nlisted first:\n%s", fetchedFirst, listedFirst)
	}
	if nodes.Description != "CPU use of every node." || nodes.Entry != "nodes" || len(nodes.Params) != 2 || strings.Contains(string(fetchedFirst), "Args:") {
		t.Errorf("px/nodes: %s", fetchedFirst)
	}
}
