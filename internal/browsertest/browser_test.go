// Package browsertest loads pxgate's pages in a real headless Chromium
// (driven over the DevTools protocol by chromedp): the index page and a
// run's page, whose charts must render with their elements and without a
// console error. It keeps a screenshot of the run's page as a test
// artifact (go test -artifacts keeps it under -outputdir; or set
// PXGATE_BROWSER_ARTIFACTS to a directory).
//
// Without a Chromium binary the test skips, saying why, so `go test ./...`
// passes on a machine without one; PXGATE_REQUIRE_BROWSER=1 (set by
// .ci/run) turns a missing browser into a failure. PXGATE_CHROMIUM names
// the binary when it is not on PATH as chromium, chromium-browser or
// google-chrome.
package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pxgate/pxgate/internal/gatewaytest"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

// chromium finds the browser, or skips (fails under PXGATE_REQUIRE_BROWSER=1).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PXGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium found (chromium, chromium-browser, google-chrome or headless-shell on PATH, or PXGATE_CHROMIUM): apt-get install -y chromium"
	if os.Getenv("PXGATE_REQUIRE_BROWSER") == "1" {
		t.Fatal(why + "; PXGATE_REQUIRE_BROWSER=1 requires the browser test to run")
	}
	t.Skip(why)
	return ""
}

// demoGateway serves pxgate on the embedded demo cluster, with a clock the
// test moves, and records a passing baseline run and, under load, a
// failing one.
func demoGateway(t *testing.T) *httptest.Server {
	t.Helper()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano())
	telemetry := pxldemo.New(pxldemo.Options{Seed: 7, Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	srv := gatewaytest.StartDemo(t, telemetry)
	q := url.Values{"service": {"default/consumer"}, "start_time": {"-1m"}, "baseline": {"-10m..-1m"},
		"expect": {"p99(latency_p99) < 1.5x baseline", "mean(error_rate) <= baseline + 0.02", "p50(latency_p50) within 50% of baseline"}}
	run := func(want int) {
		resp, err := http.Get(srv.URL + "/v1/scripts/service_let/run?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("baseline run: %d, want %d", resp.StatusCode, want)
		}
	}
	run(http.StatusOK)
	resp, err := http.Post(srv.URL+"/v1/demo/load", "application/json", strings.NewReader(`{"service":"default/consumer","rps":100,"duration":"90s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	now.Add(int64(15 * time.Second))
	run(http.StatusExpectationFailed)
	return srv
}

// browser starts a headless Chromium and collects its console errors and
// uncaught exceptions.
func browser(t *testing.T, exe string) (context.Context, func() []string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("headless", true), chromedp.WindowSize(1000, 1400))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var errs []string
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				errs = append(errs, fmt.Sprintf("console.error: %v", e.Args))
			}
		case *runtime.EventExceptionThrown:
			errs = append(errs, "exception: "+e.ExceptionDetails.Text)
		}
	}))
	t.Cleanup(cancel)
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// chartsJS reports, for each chart of the page, whether it rendered: its
// series, threshold and baseline band exist and have a drawn size.
const chartsJS = `Array.from(document.querySelectorAll('svg.pxgate-chart')).map(function (svg) {
  function drawn(sel) { var e = svg.querySelector(sel); if (!e) return 'missing ' + sel; var b = e.getBBox(); return (b.width > 0 || b.height > 0) ? '' : 'empty ' + sel; }
  return ['path.series', 'line.threshold', 'rect.baseline-band', 'path.baseline-series', 'text.title', 'text.ylabel'].map(drawn).filter(Boolean).join(', ') || 'ok';
})`

func TestPagesInChromium(t *testing.T) {
	exe := chromium(t)
	srv := demoGateway(t)
	ctx, consoleErrors := browser(t, exe)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a hung browser, not a timing assumption
	defer cancel()

	// The index lists the runs, failed first, each linking to its page.
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(`a[href^="/v1/runs/"]`))
	if err != nil {
		t.Fatalf("the index page: %v", err)
	}
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(`a[href^="/v1/runs/"]`, "href"))
	if err != nil || !link.Exists {
		t.Fatalf("the index page's first run link: %+v %v", link, err)
	}
	runLink := link.Value

	// The failed run's page: one rendered chart per check.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+runLink), chromedp.WaitVisible(`svg.pxgate-chart circle.fail`)); err != nil {
		t.Fatalf("the run's page %s: %v", runLink, err)
	}
	checks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('section.check').length`))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	if checks != 3 || len(rendered) != checks {
		t.Errorf("%s: %d checks and %d charts, want 3 of each", runLink, checks, len(rendered))
	}
	for i, r := range rendered {
		if r != "ok" {
			t.Errorf("chart %d did not render: %s", i, r)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	keep(t, "run-page.png", shot)

	// One chart on its own, as a report or a chat would embed it.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+runLink+"/checks/0.svg"), chromedp.WaitReady(`circle.fail`)); err != nil {
		t.Fatalf("the chart's image: %v", err)
	}
	root, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.tagName`))
	if err != nil || root != "svg" {
		t.Errorf("the chart's image: root %q (%v), want an svg document", root, err)
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// keep writes a test artifact: under PXGATE_BROWSER_ARTIFACTS when set,
// else in the test's artifact directory (kept with go test -artifacts).
func keep(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := os.Getenv("PXGATE_BROWSER_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(b))
}
