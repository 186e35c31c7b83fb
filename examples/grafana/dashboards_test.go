// Package grafana_test checks the example dashboards: they are valid JSON,
// every panel uses the data source the dashboard declares, and what they
// query exists: the Prometheus dashboard's metrics and columns in a real
// /probe answer, the Infinity dashboard's URLs and selectors in real
// answers of pxgate's handlers (against a fake Vizier on loopback).
package grafana_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

// dashboard is the part of a dashboard these tests read.
type dashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	Targets    []struct {
		Datasource   datasource `json:"datasource"`
		Expr         string     `json:"expr"`
		Type         string     `json:"type"`
		Source       string     `json:"source"`
		URL          string     `json:"url"`
		RootSelector string     `json:"root_selector"`
		Columns      []struct {
			Selector string `json:"selector"`
		} `json:"columns"`
	} `json:"targets"`
}

func load(t *testing.T, file string) dashboard {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", file, err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", file)
	}
	return d
}

// checkDatasources: every panel and target uses the one data source input
// of the dashboard, of the given plugin.
func checkDatasources(t *testing.T, d dashboard, plugin string) {
	t.Helper()
	if len(d.Inputs) != 1 || d.Inputs[0].PluginID != plugin || d.Inputs[0].Type != "datasource" {
		t.Fatalf("__inputs: got %+v, want one %s data source", d.Inputs, plugin)
	}
	want := datasource{Type: plugin, UID: "${" + d.Inputs[0].Name + "}"}
	for _, p := range d.Panels {
		if p.Datasource != want {
			t.Errorf("panel %q: data source %+v, want %+v", p.Title, p.Datasource, want)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource != want {
				t.Errorf("panel %q: query data source %+v, want %+v", p.Title, tg.Datasource, want)
			}
		}
	}
}

// gateway runs pxgate's handlers against a fake Vizier serving the LET
// table.
func gateway(t *testing.T) *httptest.Server {
	t.Helper()
	table := fakevizier.LETTable("output", 12, time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC), func(i int) time.Duration {
		return 150*time.Millisecond + time.Duration(i)*time.Millisecond
	})
	srv, _ := gatewaytest.Start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}}), handlers.Options{})
	return srv
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d %s", url, resp.StatusCode, body)
	}
	return body
}

var (
	metricName  = regexp.MustCompile(`pxgate_probe_[a-z_]+`)
	columnLabel = regexp.MustCompile(`column="([^"]+)"`)
)

// TestPrometheusDashboard: the panels chart metrics and columns that a
// real /probe of service_let answers.
func TestPrometheusDashboard(t *testing.T) {
	t.Parallel()
	d := load(t, "pxgate-let-prometheus.json")
	checkDatasources(t, d, "prometheus")

	srv := gateway(t)
	scrape := string(get(t, srv.URL+"/probe?script=service_let&service=default/consumer&expect=p99(latency_p99)%3C300ms"))
	charted := map[string]bool{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("panel %q: a query without expr", p.Title)
			}
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				charted[name] = true
				// pxgate_probe_error only exists when a probe failed.
				if name != "pxgate_probe_error" && !strings.Contains(scrape, "\n"+name) {
					t.Errorf("panel %q charts %s, which /probe does not answer:\n%s", p.Title, name, scrape)
				}
			}
			for _, m := range columnLabel.FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.Contains(scrape, `pxgate_probe_value{column="`+m[1]+`",table="output"}`) {
					t.Errorf("panel %q charts column %s, which /probe does not answer", p.Title, m[1])
				}
			}
		}
	}
	for _, name := range []string{"pxgate_probe_success", "pxgate_probe_value", "pxgate_probe_check_value"} {
		if !charted[name] {
			t.Errorf("no panel charts %s", name)
		}
	}
	if !strings.Contains(string(mustRead(t, "pxgate-let-prometheus.json")), `column=\"latency_p99\"`) {
		t.Error("the dashboard does not chart latency_p99")
	}
}

// TestInfinityDashboard: each query's URL answers 200 from pxgate, and its
// root selector and column selectors find data there.
func TestInfinityDashboard(t *testing.T) {
	t.Parallel()
	d := load(t, "pxgate-let-infinity.json")
	checkDatasources(t, d, "yesoreyeram-infinity-datasource")

	srv := gateway(t)
	// A failing run, for the panel of failed runs.
	get(t, srv.URL+"/probe?script=service_let&expect=p99(latency_p99)%3C1ms")
	vars := strings.NewReplacer("${pxgate}", srv.URL, "${service}", "default/consumer")
	readsRows := false
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Source != "url" || !strings.HasPrefix(tg.URL, "${pxgate}/") {
				t.Fatalf("panel %q: query %+v does not read a pxgate URL", p.Title, tg)
			}
			readsRows = readsRows || strings.Contains(tg.URL, "/v1/scripts/service_let/run?service=${service}")
			body := get(t, vars.Replace(tg.URL))
			var fields []string
			switch tg.Type {
			case "json":
				fields = jsonFields(t, body, tg.RootSelector)
			case "csv":
				header, err := csv.NewReader(bytes.NewReader(body)).Read()
				if err != nil {
					t.Fatalf("panel %q: not CSV: %v\n%s", p.Title, err, body)
				}
				fields = header
			default:
				t.Fatalf("panel %q: query type %q", p.Title, tg.Type)
			}
			if len(tg.Columns) == 0 {
				t.Errorf("panel %q: no columns", p.Title)
			}
			for _, c := range tg.Columns {
				if !slices.Contains(fields, c.Selector) {
					t.Errorf("panel %q: column %q is not in the answer (it has %v)", p.Title, c.Selector, fields)
				}
			}
		}
	}
	if !readsRows {
		t.Error("no panel reads rows from GET /v1/scripts/service_let/run?service=...")
	}
}

// jsonFields follows a root selector of the forms "a" or "a[0].b" and
// returns the keys of the first object of the array found.
func jsonFields(t *testing.T, body []byte, selector string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	step := regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)
	for part := range strings.SplitSeq(selector, ".") {
		m := step.FindStringSubmatch(part)
		obj, ok := v.(map[string]any)
		if m == nil || !ok {
			t.Fatalf("selector %q does not apply at %q", selector, part)
		}
		v = obj[m[1]]
		if m[2] != "" {
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				t.Fatalf("selector %q: %q is not a non-empty array", selector, m[1])
			}
			v = arr[0]
		}
	}
	rows, ok := v.([]any)
	if !ok || len(rows) == 0 {
		t.Fatalf("selector %q finds no rows in %s", selector, body)
	}
	first, _ := rows[0].(map[string]any)
	var keys []string
	for k := range first {
		keys = append(keys, k)
	}
	return keys
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
