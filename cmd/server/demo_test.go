package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/config"
	"github.com/pxgate/pxgate/demo"
)

func demoConfig(t *testing.T) *config.Config {
	t.Helper()
	clearEnv(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DemoOn {
		t.Fatal("no credentials did not turn the demo on")
	}
	cfg.ListenAddr = "127.0.0.1:0"
	return cfg
}

func runJSON(t *testing.T, method, url, body string) (int, api.RunResponse, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out api.RunResponse
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

// TestDemoServesTheSeedAndTheCatalog is the README's first command with no
// credentials: the seed's script and every embedded script return rows for
// default/consumer from the demo cluster, and the seed's tolerance passes
// at rest.
func TestDemoServesTheSeedAndTheCatalog(t *testing.T) {
	cfg := demoConfig(t)
	base, _, stop := serve(t, cfg, nil)
	defer stop()

	seed, err := os.ReadFile("../../examples/chaostoolkit/let.pxl")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"script": string(seed),
		"tolerances": []any{map[string]any{"func": "percentile_should_be_below", "arguments": map[string]any{
			"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}}},
	})
	status, out, raw := runJSON(t, http.MethodPost, base+"/v1/run", string(body))
	if status != http.StatusOK || !out.Verdict.Passed || !out.Demo || out.ClusterID != demo.ClusterID {
		t.Fatalf("seed script on the demo: got %d %.1500s", status, raw)
	}
	if len(out.Tables) != 1 || out.Tables[0].RowCount < 6 {
		t.Fatalf("seed script: want a 2-minute timeseries, got %.500s", raw)
	}

	// Without px.display, Vizier's compile error.
	noDisplay := strings.Replace(string(seed), "px.display(df, 'output')", "", 1)
	body, _ = json.Marshal(map[string]any{"script": noDisplay})
	if status, _, raw := runJSON(t, http.MethodPost, base+"/v1/run", string(body)); status != http.StatusBadRequest || !strings.Contains(raw, "px.display") {
		t.Errorf("no px.display: got %d %.500s", status, raw)
	}

	for _, path := range []string{
		"/v1/scripts/service_let/run?service=default/consumer&start_time=-2m&expect=p99(latency_p99)<300ms",
		"/v1/scripts/http_endpoints/run?service=default/consumer&start_time=-5m&expect=count()>0",
		"/v1/scripts/pod_resources/run?namespace=default&start_time=-5m&expect=count()>0",
		"/v1/scripts/service_map/run?namespace=default&start_time=-5m&expect=count()>0",
	} {
		status, out, raw := runJSON(t, http.MethodGet, base+path, "")
		if status != http.StatusOK || !out.Verdict.Passed || len(out.Tables) == 0 || out.Tables[0].RowCount == 0 {
			t.Errorf("%s: got %d %.800s", path, status, raw)
		}
	}
	status, _, raw = runJSON(t, http.MethodGet, base+"/v1/scripts/service_map/run?namespace=default&start_time=-5m", "")
	if status != http.StatusOK || !strings.Contains(raw, `"requestor":"default/frontend","responder":"default/consumer"`) {
		t.Errorf("service_map lacks the frontend -> consumer edge: %d %.800s", status, raw)
	}
}
