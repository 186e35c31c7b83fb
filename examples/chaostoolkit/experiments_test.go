// Package chaostoolkit_test drives the HTTP calls of the example
// experiments, the way Chaos Toolkit's HTTP provider makes them, against
// pxgate's real handlers and a fake Vizier on loopback.
package chaostoolkit_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theory/jsonpath"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

const clusterID = gatewaytest.ClusterID

// experiment is the part of an experiment file these tests read.
type experiment struct {
	Configuration map[string]struct {
		Type    string  `json:"type"`
		Key     string  `json:"key"`
		Default *string `json:"default"` // Chaos Toolkit refuses an env entry without one when the variable is unset
	} `json:"configuration"`
	Method []struct {
		Type      string          `json:"type"`
		Name      string          `json:"name"`
		Tolerance json.RawMessage `json:"tolerance"`
		Provider  struct {
			Type      string            `json:"type"`
			URL       string            `json:"url"`
			Method    string            `json:"method"`
			Headers   map[string]string `json:"headers"`
			Arguments json.RawMessage   `json:"arguments"` // a process provider's is a string
		} `json:"provider"`
		Pauses struct {
			After float64 `json:"after"`
		} `json:"pauses"`
	} `json:"method"`
	SteadyState struct {
		Probes []struct {
			Tolerance json.RawMessage `json:"tolerance"`
			Provider  struct {
				Type      string            `json:"type"`
				URL       string            `json:"url"`
				Method    string            `json:"method"`
				Headers   map[string]string `json:"headers"`
				Arguments map[string]any    `json:"arguments"`
			} `json:"provider"`
		} `json:"probes"`
	} `json:"steady-state-hypothesis"`
}

// letTable is the seed's LET table with p99 latencies around p99ms.
func letTable(p99ms int64) *fakevizier.Table {
	return fakevizier.LETTable("output", 12, time.Date(2025, 11, 24, 16, 0, 0, 0, time.UTC), func(i int) time.Duration {
		return time.Duration(p99ms-20+3*int64(i)) * time.Millisecond
	})
}

// gateway runs pxgate's handlers against a fake Vizier serving table.
func gateway(t *testing.T, table *fakevizier.Table) (*httptest.Server, *fakevizier.Server) {
	t.Helper()
	return gatewaytest.Start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}}), handlers.Options{})
}

// configuration loads an experiment's configuration as Chaos Toolkit does
// with env as the environment: an env entry takes its variable, else its
// default; one with neither makes the experiment invalid ("Configuration
// makes reference to an environment key that does not exist").
func configuration(t *testing.T, exp experiment, env map[string]string) map[string]string {
	t.Helper()
	config := map[string]string{}
	for name, c := range exp.Configuration {
		if c.Type != "env" {
			t.Fatalf("configuration %s: type %q, these tests read env entries only", name, c.Type)
		}
		switch v, ok := env[c.Key]; {
		case ok:
			config[name] = v
		case c.Default != nil:
			config[name] = *c.Default
		default:
			t.Fatalf("configuration %s: %s is unset and has no default: chaos run refuses the experiment", name, c.Key)
		}
	}
	return config
}

func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

var placeholder = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)\}`)

// substitute replaces ${name} from the configuration, as Chaos Toolkit does.
func substitute(v any, config map[string]string) any {
	switch x := v.(type) {
	case string:
		return placeholder.ReplaceAllStringFunc(x, func(m string) string { return config[m[2:len(m)-1]] })
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = substitute(e, config)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, config)
		}
		return out
	}
	return v
}

// probe makes the steady-state probe's HTTP call and applies its
// tolerance; it reports whether the steady state is met. The configuration
// is what Chaos Toolkit builds with only env set in the environment.
func probe(t *testing.T, file, base string, env map[string]string) bool {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var exp experiment
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	config := configuration(t, exp, merged(env, map[string]string{"PXGATE_URL": base}))

	p := exp.SteadyState.Probes[0]
	args := substitute(p.Provider.Arguments, config).(map[string]any)
	target := substitute(p.Provider.URL, config).(string)
	var req *http.Request
	if p.Provider.Method == "" || p.Provider.Method == http.MethodGet {
		q := url.Values{}
		for k, v := range args {
			q.Set(k, v.(string))
		}
		req, err = http.NewRequest(http.MethodGet, target+"?"+q.Encode(), nil)
	} else {
		// The provider sends JSON only with this exact header; else a form.
		if p.Provider.Headers["Content-Type"] != "application/json" {
			t.Fatalf("%s: the provider lacks the JSON header, Chaos Toolkit would send a form", file)
		}
		body, _ := json.Marshal(args)
		req, err = http.NewRequest(p.Provider.Method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q: Chaos Toolkit would not parse the body (status %d: %s)", file, ct, resp.StatusCode, body)
	}

	return withinTolerance(t, file, p.Tolerance, resp.StatusCode, body)
}

// withinTolerance applies a probe's tolerance to an HTTP probe's output as
// Chaos Toolkit does: an integer is the status; a jsonpath tolerance
// queries the JSON body: with expect, the matches must equal [expect];
// without, there must be at least one match.
func withinTolerance(t *testing.T, file string, tol json.RawMessage, status int, body []byte) bool {
	t.Helper()
	var want int
	if json.Unmarshal(tol, &want) == nil {
		return status == want
	}
	var jp struct {
		Type, Path, Target string
		Expect             any
	}
	if err := json.Unmarshal(tol, &jp); err != nil || jp.Type != "jsonpath" || jp.Target != "body" && jp.Target != "" {
		t.Fatalf("%s: unexpected tolerance %s", file, tol)
	}
	path, err := jsonpath.Parse(jp.Path)
	if err != nil {
		t.Fatalf("%s: tolerance path %q: %v", file, jp.Path, err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return false // a text body has nothing to match
	}
	matches := path.Select(doc)
	if jp.Expect == nil {
		return len(matches) > 0
	}
	return len(matches) == 1 && reflect.DeepEqual(matches[0], jp.Expect)
}

func TestExperiments(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"experiment.json", "experiment-jsonpath.json", "experiment-named.json"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			calm, fake := gateway(t, letTable(200))
			if !probe(t, file, calm.URL, map[string]string{"PIXIE_CLUSTER_ID": clusterID}) {
				t.Errorf("p99 around 200 ms: the steady state is not met, want met")
			}
			if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].Req.GetClusterId() != clusterID {
				t.Errorf("the fake saw %d requests (cluster from the configuration: want %s)", len(reqs), clusterID)
			}
			// Nothing exported: every entry's default, and pxgate's own cluster.
			if !probe(t, file, calm.URL, nil) {
				t.Errorf("with the configuration's defaults: the steady state is not met, want met")
			}
			if reqs := fake.Requests(); len(reqs) != 2 || reqs[1].Req.GetClusterId() != clusterID {
				t.Errorf("the fake saw %d requests (the gateway's default cluster: want %s)", len(reqs), clusterID)
			}
			loaded, _ := gateway(t, letTable(450))
			if probe(t, file, loaded.URL, nil) {
				t.Errorf("p99 around 450 ms: the steady state is met, want not met")
			}
		})
	}
}

// demoGateway runs pxgate on the embedded demo cluster, with a clock the
// test moves (the experiment's pauses).
func demoGateway(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano())
	telemetry := pxldemo.New(pxldemo.Options{Seed: 7, Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	srv := gatewaytest.StartDemo(t, telemetry)
	return srv, &now
}

// runMethod plays an experiment's method as Chaos Toolkit does (an action's
// status is not checked), moving the demo's clock by each pause; it reports
// whether every probe in the method is within its tolerance, which Chaos
// Toolkit records in the journal without evaluating (README: check it).
func runMethod(t *testing.T, exp experiment, config map[string]string, now *atomic.Int64) bool {
	t.Helper()
	ok := true
	for _, a := range exp.Method {
		p := a.Provider
		var body io.Reader
		if p.Method == http.MethodPost {
			if p.Headers["Content-Type"] != "application/json" {
				t.Fatalf("%s must POST JSON with the header, got %v", a.Name, p.Headers)
			}
			var args map[string]any
			if err := json.Unmarshal(p.Arguments, &args); err != nil {
				t.Fatalf("%s's arguments: %v", a.Name, err)
			}
			b, _ := json.Marshal(substitute(args, config))
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequest(cmp.Or(p.Method, http.MethodGet), substitute(p.URL, config).(string), body)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tol := json.RawMessage(substitute(string(a.Tolerance), config).(string)) // Chaos Toolkit substitutes tolerances too
		if a.Type == "probe" && !withinTolerance(t, a.Name, tol, resp.StatusCode, out) {
			ok = false
		}
		now.Add(int64(a.Pauses.After * float64(time.Second)))
	}
	return ok
}

// A load the gateway refuses (here: not in demo mode, 404) is recorded as a
// succeeded action by Chaos Toolkit; the method's probe is what shows it.
func TestDemoExperimentRefusedLoad(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("experiment-demo.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp experiment
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	notDemo, _ := gateway(t, letTable(200))
	var now atomic.Int64
	if runMethod(t, exp, configuration(t, exp, map[string]string{"PXGATE_URL": notDemo.URL}), &now) {
		t.Error("a refused load passed the method's check")
	}
}

// TestDemoExperiment drives experiment-demo.json's HTTP calls as Chaos
// Toolkit would: the steady state holds before, the method pushes the
// consumer past its capacity through the load knob, and after the pause
// the steady state fails.
func TestDemoExperiment(t *testing.T) {
	t.Parallel()
	runDemoExperiment(t, "experiment-demo.json")
}

// TestBaselineExperiment drives experiment-baseline.json, whose steady
// state has no absolute threshold (the last minute against the nine
// before): it holds at rest and fails 15 s (the action's pause, on the
// demo's clock) after the load knob adds traffic.
func TestBaselineExperiment(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("experiment-baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`"expect": "[^"]*[<>]=? *[0-9.]+(ms|s|us|ns|m)?"`).Match(raw) {
		t.Error("experiment-baseline.json has an absolute threshold")
	}
	runDemoExperiment(t, "experiment-baseline.json")
}

// runDemoExperiment drives an experiment against the demo cluster: the
// steady state is met at rest, the method runs (its pauses move the
// demo's clock), and then the steady state is not met.
func runDemoExperiment(t *testing.T, file string) {
	t.Helper()
	srv, now := demoGateway(t)
	if !probe(t, file, srv.URL, nil) {
		t.Fatal("before the method: the steady state is not met at rest")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var exp experiment
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	config := configuration(t, exp, map[string]string{"PXGATE_URL": srv.URL})
	if !runMethod(t, exp, config, now) {
		t.Fatal("the method's check found no extra load running")
	}
	if probe(t, file, srv.URL, nil) {
		t.Error("after the method: the steady state is still met, want it to fail under load")
	}
}

// TestTwoP99s: on the same rows the compact p99 (linear interpolation) and
// the compatibility form (chaostoolkit-pixie's statistics.quantiles
// exclusive method) are two numbers, and a threshold between them gives two
// verdicts; `method: "exclusive"` on the JSON form gives the compatibility
// form's value and verdict. What README.md and ../../README.md say about
// which to use rests on this.
func TestTwoP99s(t *testing.T) {
	t.Parallel()
	// p99 latencies 180, 183, ... 213 ms: linear p99 212.67 ms, exclusive
	// p99 215.61 ms (extrapolated beyond the largest row).
	srv, _ := gateway(t, letTable(200))
	const threshold = 214
	body, _ := json.Marshal(map[string]any{
		"script": "import px\npx.display(px.DataFrame('http_events'), 'output')\n",
		"tolerances": []map[string]any{
			{"name": "compact", "expect": "p99(latency_p99) <= 214ms"},
			{"name": "compat", "func": "percentile_should_be_below", "arguments": map[string]any{
				"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": threshold}},
			{"name": "exclusive", "column": "latency_p99", "aggregate": "percentile", "percentile": 99,
				"method": "exclusive", "unit": "ms", "at_most": threshold},
		},
	})
	resp, err := http.Post(srv.URL+"/v1/run", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Verdict struct {
			Checks []struct {
				Name   string  `json:"name"`
				Passed bool    `json:"passed"`
				Value  float64 `json:"value"`
			} `json:"checks"`
		} `json:"verdict"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Verdict.Checks) != 3 {
		t.Fatalf("got %d checks, want 3 (status %d)", len(out.Verdict.Checks), resp.StatusCode)
	}
	compact, compat, exclusive := out.Verdict.Checks[0], out.Verdict.Checks[1], out.Verdict.Checks[2]
	near := func(got, want float64) bool { return got > want-0.01 && got < want+0.01 }
	if !near(compact.Value, 212.67) || !compact.Passed {
		t.Errorf("compact p99: %+v, want 212.67 ms, passed", compact)
	}
	if !near(compat.Value, 215.61) || compat.Passed {
		t.Errorf("compatibility form: %+v, want 215.61 ms, failed", compat)
	}
	if exclusive.Value != compat.Value || exclusive.Passed != compat.Passed {
		t.Errorf(`method "exclusive": %+v, want the compatibility form's %+v`, exclusive, compat)
	}
}
