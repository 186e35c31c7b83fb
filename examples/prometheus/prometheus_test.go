// Package prometheus_test checks the example scrape configuration: it
// parses, the README shows the same job, and a scrape made the way
// Prometheus makes it after relabelling gets a passing probe from pxgate's
// real handlers (against a fake Vizier on loopback).
package prometheus_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

type config struct {
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

type scrapeConfig struct {
	JobName        string              `yaml:"job_name"`
	MetricsPath    string              `yaml:"metrics_path"`
	ScrapeInterval string              `yaml:"scrape_interval"`
	ScrapeTimeout  string              `yaml:"scrape_timeout"`
	Params         map[string][]string `yaml:"params"`
	StaticConfigs  []struct {
		Targets []string `yaml:"targets"`
	} `yaml:"static_configs"`
	RelabelConfigs []relabel `yaml:"relabel_configs"`
}

type relabel struct {
	SourceLabels []string `yaml:"source_labels"`
	TargetLabel  string   `yaml:"target_label"`
	Replacement  string   `yaml:"replacement"`
}

func parse(t *testing.T, raw []byte) config {
	t.Helper()
	var c config
	if err := yaml.Load(raw, &c, yaml.WithKnownFields()); err != nil {
		t.Fatalf("not a scrape configuration: %v\n%s", err, raw)
	}
	if len(c.ScrapeConfigs) == 0 {
		t.Fatal("no scrape_configs")
	}
	return c
}

// labels applies the job's relabelling to a target, as Prometheus does for
// these simple rules (copy a label, or set a replacement).
func labels(sc scrapeConfig, target string) map[string]string {
	l := map[string]string{"__address__": target}
	for _, r := range sc.RelabelConfigs {
		v := r.Replacement
		if len(r.SourceLabels) > 0 {
			v = l[r.SourceLabels[0]]
		}
		l[r.TargetLabel] = v
	}
	return l
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(scrape_configs:.*?)```")

func TestScrapeConfig(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, raw)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := yamlBlock.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md shows no scrape_configs")
	}
	if shown := parse(t, m[1]); !reflect.DeepEqual(shown, c) {
		t.Errorf("README.md's scrape configuration differs from prometheus.yml:\n%+v\n%+v", shown, c)
	}

	sc := c.ScrapeConfigs[0]
	if sc.MetricsPath != "/probe" || sc.Params["script"][0] != "service_let" || len(sc.Params["expect"]) == 0 {
		t.Fatalf("job %s: got path %q, params %v", sc.JobName, sc.MetricsPath, sc.Params)
	}
	timeout, err := time.ParseDuration(sc.ScrapeTimeout)
	if err != nil {
		t.Fatal(err)
	}

	srv := gateway(t)
	for _, target := range sc.StaticConfigs[0].Targets {
		l := labels(sc, target)
		if l["__address__"] == target || l["instance"] != target || l["__param_service"] != target {
			t.Errorf("target %s relabels to %v", target, l)
		}
		// Prometheus sends params plus __param_* labels as the query.
		q := url.Values{}
		for k, v := range sc.Params {
			q[k] = v
		}
		for k, v := range l {
			if name, ok := strings.CutPrefix(k, "__param_"); ok {
				q.Set(name, v)
			}
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+sc.MetricsPath+"?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strings.TrimSuffix(timeout.String(), "s"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "\npxgate_probe_success 1\n") {
			t.Errorf("scraping %s: got %d\n%s", target, resp.StatusCode, body)
		}
	}
}

// gateway runs pxgate's handlers against a fake Vizier serving a LET table
// whose p99 is 150 ms and error rate 1 %.
func gateway(t *testing.T) *httptest.Server {
	t.Helper()
	table := fakevizier.LETTable("output", 6, time.Now().Add(-time.Minute), func(int) time.Duration { return 150 * time.Millisecond })
	srv, _ := gatewaytest.Start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}}), handlers.Options{})
	return srv
}
