// Package grafana_test checks the example dashboards: they are valid JSON,
// provisionable as files unchanged (no __inputs or ${DS_...} placeholders:
// a `datasource` variable picks the data source, and every panel and query
// variable uses it), list services from the data instead of naming any, and
// what they query exists: the Prometheus dashboard's metrics and columns in
// a real /probe answer, the Infinity dashboard's URLs and selectors in real
// answers of pxgate's handlers (against a fake Vizier on loopback, and the
// embedded demo cluster for the list of services). The provisioning
// examples in provisioning/ are parsed and must point at these files' data
// sources.
package grafana_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
	"go.yaml.in/yaml/v4"
)

// dashboard is the part of a dashboard these tests read.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// variable is a template variable.
type variable struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Query      json.RawMessage   `json:"query"`
	Definition string            `json:"definition"`
	Datasource *datasource       `json:"datasource"`
	Current    map[string]any    `json:"current"`
	Options    []json.RawMessage `json:"options"`
}

// variable returns the dashboard's variable of that name.
func (d dashboard) variable(t *testing.T, name string) variable {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("%s: no variable %q", d.UID, name)
	return variable{}
}

// value is a textbox or constant variable's value.
func (v variable) value(t *testing.T) string {
	t.Helper()
	var q string
	if err := json.Unmarshal(v.Query, &q); err != nil || q == "" {
		t.Fatalf("variable %q: query %s is not a value", v.Name, v.Query)
	}
	return q
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	Targets    []struct {
		Datasource datasource `json:"datasource"`
		Expr       string     `json:"expr"`
		InfinityQuery
	} `json:"targets"`
}

// InfinityQuery is the part of an Infinity query (a panel's, or a query
// variable's infinityQuery) these tests read.
type InfinityQuery struct {
	Type         string `json:"type"`
	Source       string `json:"source"`
	URL          string `json:"url"`
	RootSelector string `json:"root_selector"`
	Columns      []struct {
		Selector string `json:"selector"`
	} `json:"columns"`
}

func load(t *testing.T, file string) dashboard {
	t.Helper()
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(mustRead(t, file)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", file, err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", file)
	}
	return d
}

var (
	// reference is a variable in a query: $name, ${name} or ${name:format}.
	reference = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))`)
	// serviceName is a Kubernetes service as pxgate names them.
	serviceName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// checkProvisionable: the file works with Grafana's file provisioning
// unchanged. It is not an export for sharing (no __inputs, __requires or
// other __ keys, no ${DS_...} placeholder, which only the import dialog
// fills); one `datasource` variable of the plugin picks the data source,
// and every panel, query and query variable uses it; every variable a query
// refers to is declared; no service is named: no variable lists services by
// hand (custom), none comes preselected, and no string in the file is a
// service name.
func checkProvisionable(t *testing.T, file string, d dashboard, plugin string) {
	t.Helper()
	raw := mustRead(t, file)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	for key := range top {
		if strings.HasPrefix(key, "__") {
			t.Errorf("%s has %s: an export for sharing, which file provisioning does not resolve", file, key)
		}
	}
	if bytes.Contains(raw, []byte("${DS_")) {
		t.Errorf("%s has a ${DS_...} placeholder, which file provisioning leaves unresolved", file)
	}

	declared := map[string]bool{}
	var sources []variable
	for _, v := range d.Templating.List {
		declared[v.Name] = true
		switch v.Type {
		case "datasource":
			sources = append(sources, v)
		case "custom":
			t.Errorf("variable %q is a hand-written list (custom): list the values from the data", v.Name)
		}
	}
	if len(sources) != 1 || sources[0].Name != "datasource" || string(sources[0].Query) != strconv.Quote(plugin) {
		t.Fatalf("want one variable \"datasource\" of type datasource for %s, got %+v", plugin, sources)
	}
	if len(sources[0].Current) != 0 {
		t.Errorf("the datasource variable names a data source (%v): Grafana's own choice of that type is the right default", sources[0].Current)
	}
	want := datasource{Type: plugin, UID: "${datasource}"}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		if v.Datasource == nil || *v.Datasource != want {
			t.Errorf("variable %q: data source %+v, want %+v", v.Name, v.Datasource, want)
		}
		if len(v.Options) != 0 || len(v.Current) != 0 {
			t.Errorf("variable %q comes with values (options %s, current %v): they must come from its query", v.Name, v.Options, v.Current)
		}
	}
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
	for _, m := range reference.FindAllStringSubmatch(string(raw), -1) {
		name := m[1] + m[2]
		if !declared[name] && !strings.HasPrefix(name, "__") {
			t.Errorf("%s refers to $%s, which is no variable of the dashboard", file, name)
		}
	}

	var all any
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	demoServices := map[string]bool{}
	for _, s := range pxldemo.New(pxldemo.Options{Seed: 1, Clock: fixedClock}).Services() {
		demoServices[s] = true
		demoServices[s[strings.IndexByte(s, '/')+1:]] = true
	}
	walkStrings(all, "", func(key, s string) {
		if displayOnly[key] {
			return
		}
		if serviceName.MatchString(s) || demoServices[s] {
			t.Errorf("%s names the service %q (at %q): list services from the data", file, s, key)
		}
	})
}

// displayOnly are the keys whose strings are shown, never queried.
var displayOnly = map[string]bool{"title": true, "description": true, "label": true, "legendFormat": true, "text": true}

// walkStrings calls f with every string in a decoded JSON value and the key
// it is under.
func walkStrings(v any, key string, f func(key, s string)) {
	switch v := v.(type) {
	case string:
		f(key, v)
	case []any:
		for _, e := range v {
			walkStrings(e, key, f)
		}
	case map[string]any:
		for k, e := range v {
			walkStrings(e, k, f)
		}
	}
}

func fixedClock() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

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
	const file = "pxgate-let-prometheus.json"
	d := load(t, file)
	checkProvisionable(t, file, d, "prometheus")

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
	if !strings.Contains(string(mustRead(t, file)), `column=\"latency_p99\"`) {
		t.Error("the dashboard does not chart latency_p99")
	}

	// The scrape job and the service are label values of a metric every
	// probe answers: the service is the instance label, as
	// examples/prometheus/prometheus.yml relabels it.
	for name, want := range map[string]*regexp.Regexp{
		"job":     regexp.MustCompile(`^label_values\((pxgate_probe_[a-z_]+), job\)$`),
		"service": regexp.MustCompile(`^label_values\((pxgate_probe_[a-z_]+)\{job="\$job"\}, instance\)$`),
	} {
		v := d.variable(t, name)
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %q: query %s: %v", name, v.Query, err)
		}
		m := want.FindStringSubmatch(q.Query)
		if v.Type != "query" || m == nil || v.Definition != q.Query {
			t.Errorf("variable %q: %s query %q (definition %q), want one matching %s", name, v.Type, q.Query, v.Definition, want)
			continue
		}
		if !strings.Contains(scrape, "\n"+m[1]+" ") && !strings.Contains(scrape, "\n"+m[1]+"{") {
			t.Errorf("variable %q lists label values of %s, which /probe does not answer", name, m[1])
		}
	}
}

// TestInfinityDashboard: each query's URL answers 200 from pxgate, and its
// root selector and column selectors find data there.
func TestInfinityDashboard(t *testing.T) {
	t.Parallel()
	const file = "pxgate-let-infinity.json"
	d := load(t, file)
	checkProvisionable(t, file, d, "yesoreyeram-infinity-datasource")

	srv := gateway(t)
	// A failing run, for the panel of failed runs.
	get(t, srv.URL+"/probe?script=service_let&expect=p99(latency_p99)%3C1ms")
	vars := strings.NewReplacer("${pxgate}", srv.URL, "${service}", "default/consumer")
	if got := d.variable(t, "pxgate").value(t); !strings.HasPrefix(got, "http") {
		t.Errorf("the pxgate variable's default %q is not a URL", got)
	}
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

// TestInfinityServices: the service variable's query, run against pxgate on
// the embedded demo cluster, lists services of the namespace variable's
// default, each one the demo has, and the latency panel answers rows for
// each.
func TestInfinityServices(t *testing.T) {
	t.Parallel()
	d := load(t, "pxgate-let-infinity.json")
	v := d.variable(t, "service")
	var q struct {
		QueryType     string        `json:"queryType"`
		InfinityQuery InfinityQuery `json:"infinityQuery"`
	}
	if err := json.Unmarshal(v.Query, &q); err != nil {
		t.Fatalf("variable service: query %s: %v", v.Query, err)
	}
	iq := q.InfinityQuery
	// One column: with two, Infinity takes the first as the text and the
	// second as the value.
	if v.Type != "query" || q.QueryType != "infinity" || iq.Type != "json" || iq.Source != "url" ||
		!strings.HasPrefix(iq.URL, "${pxgate}/") || len(iq.Columns) != 1 {
		t.Fatalf("variable service: want an Infinity JSON query of one column on a pxgate URL, got %s %s", v.Type, v.Query)
	}
	var let string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Type == "json" && strings.Contains(tg.URL, "/v1/scripts/service_let/run?service=${service}") {
				let = tg.URL
			}
		}
	}
	if let == "" {
		t.Fatal("no JSON panel reads GET /v1/scripts/service_let/run?service=${service}")
	}

	srv := gatewaytest.StartDemo(t, pxldemo.New(pxldemo.Options{Seed: 7, Clock: fixedClock}))
	var info struct {
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(get(t, srv.URL+"/v1/demo"), &info); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("${pxgate}", srv.URL, "${namespace}", d.variable(t, "namespace").value(t))
	var listed []string
	for _, row := range jsonRows(t, get(t, vars.Replace(iq.URL)), iq.RootSelector) {
		s, ok := row[iq.Columns[0].Selector].(string)
		if !ok {
			t.Fatalf("variable service: row %v has no string %q", row, iq.Columns[0].Selector)
		}
		if !slices.Contains(listed, s) {
			listed = append(listed, s)
		}
	}
	if len(listed) == 0 {
		t.Fatal("variable service lists no service of the demo cluster")
	}
	slices.Sort(listed)
	t.Logf("listed %v of the demo's %v", listed, info.Services)
	for _, s := range listed {
		if !slices.Contains(info.Services, s) {
			t.Errorf("variable service lists %q, which is no service of the demo (%v)", s, info.Services)
			continue
		}
		url := strings.NewReplacer("${pxgate}", srv.URL, "${service}", s).Replace(let)
		if rows := jsonRows(t, get(t, url), "tables[0].rows"); len(rows) == 0 {
			t.Errorf("service %s: the latency panel reads no rows", s)
		}
	}
}

// jsonFields follows a root selector of the forms "a" or "a[0].b" and
// returns the keys of the first object of the array found.
func jsonFields(t *testing.T, body []byte, selector string) []string {
	t.Helper()
	return slices.Collect(maps.Keys(jsonRows(t, body, selector)[0]))
}

// jsonRows follows a root selector of the forms "a" or "a[0].b" and
// returns the objects of the array found, which must not be empty.
func jsonRows(t *testing.T, body []byte, selector string) []map[string]any {
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
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		t.Fatalf("selector %q finds no rows in %s", selector, body)
	}
	rows := make([]map[string]any, len(arr))
	for i, r := range arr {
		if rows[i], ok = r.(map[string]any); !ok {
			t.Fatalf("selector %q: row %d is not an object", selector, i)
		}
	}
	return rows
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProvisioning: the provisioning examples are Grafana's format (version
// 1), the dashboard provider reads files, and the data sources are of the
// plugins the dashboards' datasource variables select, the Infinity one
// allowed to reach the pxgate URL the dashboard defaults to.
func TestProvisioning(t *testing.T) {
	t.Parallel()
	var providers struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeYAML(t, "provisioning/dashboards/pxgate.yaml", &providers)
	if providers.APIVersion != 1 || len(providers.Providers) != 1 {
		t.Fatalf("dashboards: apiVersion %d, %d providers; want 1 and one", providers.APIVersion, len(providers.Providers))
	}
	if p := providers.Providers[0]; p.Name == "" || p.Type != "file" || !strings.HasPrefix(p.Options.Path, "/") {
		t.Errorf("dashboards: provider %+v, want a named file provider with an absolute path", p)
	}

	var sources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name     string `yaml:"name"`
			Type     string `yaml:"type"`
			UID      string `yaml:"uid"`
			URL      string `yaml:"url"`
			JSONData struct {
				AllowedHosts []string `yaml:"allowedHosts"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	decodeYAML(t, "provisioning/datasources/pxgate.yaml", &sources)
	if sources.APIVersion != 1 {
		t.Errorf("datasources: apiVersion %d, want 1", sources.APIVersion)
	}
	for file, plugin := range map[string]string{
		"pxgate-let-prometheus.json": "prometheus",
		"pxgate-let-infinity.json":   "yesoreyeram-infinity-datasource",
	} {
		d := load(t, file)
		if q := string(d.variable(t, "datasource").Query); q != strconv.Quote(plugin) {
			t.Errorf("%s: datasource variable %s, want %q", file, q, plugin)
		}
		found := false
		for _, s := range sources.Datasources {
			if s.Type != plugin {
				continue
			}
			found = true
			if s.Name == "" || s.UID == "" {
				t.Errorf("data source %+v: no name or uid", s)
			}
			if plugin == "prometheus" && s.URL == "" {
				t.Errorf("data source %q: no url", s.Name)
			}
			if plugin == "prometheus" {
				continue
			}
			if url := d.variable(t, "pxgate").value(t); !slices.Contains(s.JSONData.AllowedHosts, url) {
				t.Errorf("data source %q allows %v, not the dashboard's pxgate URL %s", s.Name, s.JSONData.AllowedHosts, url)
			}
		}
		if !found {
			t.Errorf("no data source of type %s, which %s selects", plugin, file)
		}
	}
}

func decodeYAML(t *testing.T, file string, v any) {
	t.Helper()
	if err := yaml.Load(mustRead(t, file), v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
