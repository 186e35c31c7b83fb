package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/config"
	"github.com/pxgate/pxgate/internal/testlog"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

const (
	secretKey = "px-api-s3cr3t-0123456789abcdef"
	clusterID = "7a1c2b3d-0000-4000-8000-00000000abcd"
)

// clearEnv unsets every variable the configuration reads, for the test.
func clearEnv(t *testing.T) {
	t.Helper()
	typ := reflect.TypeFor[config.Config]()
	for i := range typ.NumField() {
		if k := typ.Field(i).Tag.Get("envconfig"); k != "" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

func TestRunVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "pxgate, version ") {
		t.Errorf("got %q", out.String())
	}
}

func TestRunWithoutCredentialsNamesWhatToSet(t *testing.T) {
	clearEnv(t)
	t.Setenv("PXGATE_DEMO", "off") // with the demo on, no credentials is fine
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"PIXIE_API_KEY", "PIXIE_CLUSTER_ID", "PIXIE_DIRECT_ADDR"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("message does not name %s:\n%s", want, errOut.String())
		}
	}
}

func TestRunCheckConfigRedactsTheKey(t *testing.T) {
	clearEnv(t)
	t.Setenv("PIXIE_API_KEY", secretKey)
	t.Setenv("PIXIE_CLUSTER_ID", clusterID)
	var out, errOut bytes.Buffer
	if code := run([]string{"-check-config"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), secretKey) {
		t.Fatalf("-check-config printed the API key:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "configuration is valid") || !strings.Contains(out.String(), clusterID) {
		t.Errorf("unexpected output:\n%s", out.String())
	}
}

// TestRunCheckConfigRedactsURLUserInfo: -check-config never shows a
// password given in PIXIE_SERVER_URL, valid or not, and names that variable.
func TestRunCheckConfigRedactsURLUserInfo(t *testing.T) {
	const pw = "url-s3cr3t-pw"
	for _, tc := range []struct {
		url  string
		code int
	}{
		{"https://admin:" + pw + "@pixie.example.com", 0},
		{"https://admin:" + pw + "@", 2},
	} {
		clearEnv(t)
		t.Setenv("PIXIE_API_KEY", secretKey)
		t.Setenv("PIXIE_CLUSTER_ID", clusterID)
		t.Setenv("PIXIE_SERVER_URL", tc.url)
		var out, errOut bytes.Buffer
		if code := run([]string{"-check-config"}, &out, &errOut); code != tc.code {
			t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut.String())
		}
		all := out.String() + errOut.String()
		if strings.Contains(all, pw) || strings.Contains(all, secretKey) {
			t.Errorf("-check-config printed a secret")
		}
		if !strings.Contains(all, "PIXIE_SERVER_URL") || strings.Contains(all, "PIXIE_CLOUD_ADDR") {
			t.Errorf("want PIXIE_SERVER_URL named, not PIXIE_CLOUD_ADDR:\n%s", strings.ReplaceAll(all, pw, "<pw>"))
		}
	}
}

// TestServeEndToEndAndGracefulShutdown runs the real wiring against a fake
// Vizier: it serves, answers a query, then drains and stops on cancel.
func TestServeEndToEndAndGracefulShutdown(t *testing.T) {
	fake, err := fakevizier.Start(fakevizier.Options{
		APIKey:    secretKey,
		ClusterID: clusterID,
		Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{
			fakevizier.NewTable("output", fakevizier.Int64Col("latency_p99", pixie.STDurationNS, 120e6, 180e6)),
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	scriptsDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(scriptsDir, "my_let.pxl"), []byte("import px\n\ndef my_let(start_time: str, service: px.Service):\n    return px.DataFrame('http_events', start_time=start_time)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(fake.Addr())
	cfg.ScriptsDir, cfg.APIKey, cfg.ClusterID = scriptsDir, secretKey, clusterID
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs testlog.Buffer
	t.Cleanup(func() { t.Logf("server output:\n%s", logs.String()) })
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, Hooks{LogOut: &logs, Started: func(a string) { addrc <- a }}) }()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("server did not start")
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d, want 200", path, resp.StatusCode)
		}
	}
	body := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')", "tolerances": [{"expect": "p99(latency_p99) < 300ms"}]}`
	resp, err := http.Post(base+"/v1/run", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"passed":true`) {
		t.Fatalf("run: got %d %s", resp.StatusCode, got)
	}

	resp, err = http.Get(base + "/v1/scripts/my_let")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"type":"px.Service"`) {
		t.Errorf("the user directory's script: got %d %s", resp.StatusCode, got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("server did not stop")
	}
	if strings.Contains(logs.String(), secretKey) {
		t.Errorf("logs contain the API key:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "pxgate serving") || !strings.Contains(logs.String(), "stopped") {
		t.Errorf("logs lack start/stop lines:\n%s", logs.String())
	}
}

// testConfig is a small valid configuration for a plaintext Vizier at addr
// and a gateway on a free loopback port.
func testConfig(addr string) *config.Config {
	return &config.Config{
		DirectAddr: addr, DirectPlain: true,
		E2EEncryption: "auto", MaxRecvMiB: 64, ListenAddr: "127.0.0.1:0", Demo: "off", AllowInline: true,
		MaxConcurrent: 4, CallerShare: 1, QueryTimeout: 10 * time.Second, DefaultTimeout: 5 * time.Second, MaxRows: 100,
		MaxBodyBytes: 1 << 20, MaxStreamRows: 1000, AnswerMemory: 64 << 20, HistorySize: 10, LogLevel: "debug", LogFormat: "json", ShutdownGrace: 5 * time.Second,
	}
}

// serve starts Serve with cfg and hooks; stop cancels it and waits.
func serve(t *testing.T, cfg *config.Config, reload <-chan os.Signal) (base string, logs *testlog.Buffer, stop func()) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	logs = new(testlog.Buffer)
	// The server's whole output goes to the test log, which CI searches
	// for the test secrets (.ci/run).
	t.Cleanup(func() { t.Logf("server output:\n%s", logs.String()) })
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, cfg, Hooks{LogOut: logs, Started: func(a string) { addrc <- a }, Reload: reload})
	}()
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	return base, logs, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeCallerTokens: with a tokens file, the API needs a token, health
// stays open, and SIGHUP (the Reload hook) rotates the tokens.
func TestServeCallerTokens(t *testing.T) {
	fake, err := fakevizier.Start(fakevizier.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	tokensFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokensFile, []byte("caller-s3cr3t-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(fake.Addr())
	cfg.AuthTokensFile, cfg.AuthOpenPaths = tokensFile, []string{"/healthz", "/readyz", "/metrics"}
	reload := make(chan os.Signal, 1)
	base, logs, stop := serve(t, cfg, reload)
	defer stop()
	if got := get(t, base+"/healthz", ""); got != http.StatusOK {
		t.Errorf("healthz without a token: got %d, want 200", got)
	}
	if got := get(t, base+"/v1/scripts", ""); got != http.StatusUnauthorized {
		t.Errorf("no token: got %d, want 401", got)
	}
	if got := get(t, base+"/v1/scripts", "caller-s3cr3t-one"); got != http.StatusOK {
		t.Errorf("valid token: got %d, want 200", got)
	}
	if err := os.WriteFile(tokensFile, []byte("caller-s3cr3t-two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reload <- syscall.SIGHUP
	testwait.Until(t, "the rotated token to be accepted after SIGHUP", func() bool {
		return get(t, base+"/v1/scripts", "caller-s3cr3t-two") == http.StatusOK
	})
	if got := get(t, base+"/v1/scripts", "caller-s3cr3t-one"); got != http.StatusUnauthorized {
		t.Errorf("rotated-out token: got %d, want 401", got)
	}
	if strings.Contains(logs.String(), "caller-s3cr3t") {
		t.Errorf("logs contain a token:\n%s", logs.String())
	}
}

// TestServeShutdownDrains: on shutdown /readyz fails at once while the port
// keeps accepting for PXGATE_SHUTDOWN_DELAY, with every response saying
// Connection: close; then the port closes, and a query in flight all along
// still gets its whole answer after the port closed (within
// PXGATE_SHUTDOWN_GRACE).
//
// Nothing here races a clock: the in-flight query is held at the fake
// Vizier until the test has seen the port close, and the checks made
// during the delay start on the server's own "not ready" log line. The
// delay is only the window those three loopback requests must fit in; a
// machine too busy for it (the server logged the delay's end before they
// were done) gets another try with twice the delay, not a failure.
func TestServeShutdownDrains(t *testing.T) {
	for delay := 250 * time.Millisecond; ; delay *= 2 {
		if shutdownDrains(t, delay) {
			return
		}
		if delay >= 30*time.Second {
			t.Fatalf("three loopback requests did not fit in a %s shutdown delay", delay)
		}
		t.Logf("the checks did not fit in a %s shutdown delay on this machine; again with %s", delay, 2*delay)
	}
}

// shutdownDrains is one try of TestServeShutdownDrains; false: the checks
// during the delay did not fit in it (nothing was reported).
func shutdownDrains(t *testing.T, delay time.Duration) (fitted bool) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	plan := &fakevizier.Plan{Tables: []*fakevizier.Table{
		fakevizier.NewTable("output", fakevizier.Int64Col("latency_p99", pixie.STDurationNS, 120e6)),
	}}
	fake, err := fakevizier.Start(fakevizier.Options{
		ClusterID: clusterID,
		Handler: func(ctx context.Context, _ *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
			once.Do(func() { close(arrived) })
			select { // the query runs until the test lets it answer
			case <-release:
			case <-ctx.Done():
			}
			return plan
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg := testConfig(fake.Addr())
	cfg.ClusterID, cfg.ShutdownDelay, cfg.ShutdownGrace = clusterID, delay, time.Minute
	base, logs, stop := serve(t, cfg, nil)
	// Every probe opens a new connection, so "accepting" is what is tested.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}

	type answer struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan answer, 1)
	go func() {
		body := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')", "tolerances": [{"expect": "max(latency_p99) < 300ms"}]}`
		resp, err := fresh.Post(base+"/v1/run", "application/json", strings.NewReader(body))
		if err != nil {
			inflight <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- answer{status: resp.StatusCode, body: string(b), err: err}
	}()
	<-arrived // the query is now running at the Vizier

	stopped := make(chan struct{})
	began := time.Now()
	go func() { stop(); close(stopped) }()
	// However the try ends, the query is let go and answered, and the
	// server stopped.
	letGo := sync.OnceFunc(func() { close(release) })
	answered := false
	defer func() {
		letGo()
		if !answered {
			<-inflight
		}
		<-stopped
	}()

	status := func(path string) (int, error) {
		resp, err := fresh.Get(base + path)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Readiness is off (and keep-alives) once the server says so.
	testwait.Until(t, "the server's not-ready log line", func() bool {
		return strings.Contains(logs.String(), "not ready; serving on before draining")
	})
	var problems []string
	if code, err := status("/readyz"); err != nil || code != http.StatusServiceUnavailable {
		problems = append(problems, fmt.Sprintf("/readyz during the shutdown delay: %d, %v; want 503", code, err))
	}
	if code, err := status("/healthz"); err != nil || code != http.StatusOK {
		problems = append(problems, fmt.Sprintf("a new connection during the shutdown delay: %d, %v; want 200", code, err))
	}
	// A client that would keep its connection is told to close it.
	keeping := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	if resp, err := keeping.Get(base + "/healthz"); err != nil {
		problems = append(problems, fmt.Sprintf("a keep-alive client during the shutdown delay: %v", err))
	} else {
		resp.Body.Close()
		if !resp.Close || resp.StatusCode != http.StatusOK {
			problems = append(problems, fmt.Sprintf("a response during the shutdown delay: %d, Connection: %q; want 200 with Connection: close",
				resp.StatusCode, resp.Header.Get("Connection")))
		}
	}
	if strings.Contains(logs.String(), `"msg":"shutting down"`) {
		return false // the delay ended before the checks were done: they tested nothing
	}
	for _, p := range problems {
		t.Error(p)
	}
	for {
		if _, err := status("/healthz"); err != nil {
			break
		}
		if time.Since(began) > delay+time.Minute {
			t.Fatal("the port still accepts long after the shutdown delay")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if closed := time.Since(began); closed < delay {
		t.Errorf("the port closed %s after shutdown began, before the %s delay", closed, delay)
	}
	select {
	case a := <-inflight:
		answered = true
		t.Fatalf("the in-flight query ended before the port closed: %d %s %v", a.status, a.body, a.err)
	default:
	}
	letGo() // only the grace period lets it finish now
	a := <-inflight
	answered = true
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `"passed":true`) {
		t.Errorf("the in-flight query: %d %s %v; want its whole 200 answer", a.status, a.body, a.err)
	}
	return true
}

// TestServeTLS: with PXGATE_TLS_* the port speaks HTTPS only, with the
// files' certificate, and a rotated pair is served after SIGHUP.
func TestServeTLS(t *testing.T) {
	fake, err := fakevizier.Start(fakevizier.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writePair := func() *x509.CertPool {
		t.Helper()
		certPEM, keyPEM, err := fakevizier.SelfSignedPEM()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(certPEM)
		return pool
	}
	first := writePair()
	cfg := testConfig(fake.Addr())
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	reload := make(chan os.Signal, 1)
	base, logs, stop := serve(t, cfg, reload)
	defer stop()
	secure := "https://" + strings.TrimPrefix(base, "http://")
	trusting := func(pool *x509.CertPool) *http.Client {
		return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}}
	}
	resp, err := trusting(first).Get(secure + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS with the files' certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTPS /healthz: got %d", resp.StatusCode)
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the HTTPS port")
		}
	}

	second := writePair()
	reload <- syscall.SIGHUP
	deadline := time.Now().Add(time.Minute) // a bound for a broken reload, not a wait
	for {
		resp, err := trusting(second).Get(secure + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate is not served: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := trusting(first).Get(secure + "/healthz"); err == nil {
		t.Error("the old certificate is still served after the rotation")
	}
	if !strings.Contains(logs.String(), `"scheme":"https"`) || !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("logs lack the scheme or the reload:\n%s", logs.String())
	}
}

// TestServeShutdownGraceOver: a query still running when the shutdown
// grace ends gets a 503 shutting-down answer, and leaves its log line,
// instead of a connection closed without a word.
func TestServeShutdownGraceOver(t *testing.T) {
	fake, base, logs, stop := serveWithGraceOver(t, &fakevizier.Plan{
		Hang:   true, // until the gateway gives up
		Tables: []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("latency_p99", pixie.STDurationNS, 120e6))},
	})

	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post(base+"/v1/run", "application/json",
			strings.NewReader(`{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')"}`))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{resp: resp, body: b, err: err}
	}()
	testwait.Until(t, "the query to hang on the Vizier", func() bool { return fake.ActiveStreams() > 0 })
	stop()
	a := <-answered
	if a.err != nil {
		t.Fatalf("the running query got no answer: %v", a.err)
	}
	var p api.Problem
	if err := json.Unmarshal(a.body, &p); err != nil || a.resp.StatusCode != http.StatusServiceUnavailable ||
		p.Type != api.ProblemShuttingDown || a.resp.Header.Get("Retry-After") == "" {
		t.Errorf("got %d %s (Retry-After %q), want a 503 shutting-down", a.resp.StatusCode, a.body, a.resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), `"problem_type":"shutting-down"`) {
		t.Errorf("no log line for the request the shutdown ended:\n%s", logs.String())
	}
}

// serveWithGraceOver serves a gateway whose shutdown grace (1 ms) is over
// as soon as it stops, in front of a fake Vizier answering plan.
func serveWithGraceOver(t *testing.T, plan *fakevizier.Plan) (fake *fakevizier.Server, base string, logs *testlog.Buffer, stop func()) {
	t.Helper()
	fake, err := fakevizier.Start(fakevizier.Options{ClusterID: clusterID, Handler: fakevizier.StaticHandler(plan)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	cfg := testConfig(fake.Addr())
	cfg.ClusterID, cfg.ShutdownGrace = clusterID, time.Millisecond
	base, logs, stop = serve(t, cfg, nil)
	return fake, base, logs, stop
}

// TestServeShutdownGraceOverMidStream: a streamed answer whose 200 and
// first rows went out when the shutdown grace ends finishes with the 503
// shutting-down error in its end (the NDJSON final line, the trailers),
// a complete body that says it failed, not a connection closed mid-body
// nor a body ended as if whole.
func TestServeShutdownGraceOverMidStream(t *testing.T) {
	fake, base, logs, stop := serveWithGraceOver(t, &fakevizier.Plan{
		BatchRows: 1, HangAfter: 2, // the first row, then nothing until the gateway gives up
		Tables: []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("latency_p99", pixie.STDurationNS, 120e6, 130e6, 140e6))},
	})

	script := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')"}`
	type stream struct {
		format string
		resp   *http.Response
		first  []byte
		rest   []byte
		err    error
	}
	var streams []*stream
	for _, format := range []string{"ndjson", "csv"} {
		resp, err := http.Post(base+"/v1/run?format="+format, "application/json", strings.NewReader(script))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		s := &stream{format: format, resp: resp}
		s.first = make([]byte, 1)
		// The 200 and a first row went out before the shutdown.
		if _, err := io.ReadFull(resp.Body, s.first); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, %v", format, resp.StatusCode, err)
		}
		streams = append(streams, s)
	}
	testwait.Until(t, "both queries to hang on the Vizier", func() bool { return fake.ActiveStreams() == 2 })
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Go(func() { s.rest, s.err = io.ReadAll(s.resp.Body) })
	}
	stop()
	wg.Wait()
	for _, s := range streams {
		format := s.format
		body := append(s.first, s.rest...)
		if s.err != nil {
			t.Errorf("%s: reading the body: %v (%q)", format, s.err, body)
			continue
		}
		if v, e := s.resp.Trailer.Get(api.TrailerVerdict), s.resp.Trailer.Get(api.TrailerError); v != "fail" || !strings.HasPrefix(e, api.ProblemShuttingDown+" ") {
			t.Errorf("%s: trailers %v, want verdict fail and a shutting-down error", format, s.resp.Trailer)
		}
		if format == "ndjson" {
			lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
			var end api.StreamEnd
			if err := json.Unmarshal(lines[len(lines)-1], &end); err != nil || end.Error == nil || end.Error.Type != api.ProblemShuttingDown || end.Verdict != nil {
				t.Errorf("ndjson: final line %s (%v), want the shutting-down error", lines[len(lines)-1], err)
			}
		}
	}
	// Each request's line names the problem that ended its stream (its
	// status is the 200 that went out).
	if n := strings.Count(logs.String(), `"status":200,`); n != 2 || strings.Count(logs.String(), `"problem_type":"shutting-down"`) != 2 {
		t.Errorf("the request lines do not say that the shutdown ended the streams:\n%s", logs.String())
	}
}

// TestServeSmallestAnswerMemory: the smallest PXGATE_ANSWER_MEMORY the
// configuration accepts still serves a run (each run leases its buffers
// from the budget first: a smaller budget would refuse every run with 503).
func TestServeSmallestAnswerMemory(t *testing.T) {
	t.Parallel()
	fake, err := fakevizier.Start(fakevizier.Options{ClusterID: clusterID, Handler: fakevizier.StaticHandler(&fakevizier.Plan{
		Tables: []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("latency_p99", pixie.STDurationNS, 120e6))},
	})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	cfg := testConfig(fake.Addr())
	cfg.ClusterID, cfg.AnswerMemory = clusterID, config.MinAnswerMemory
	base, _, stop := serve(t, cfg, nil)
	defer stop()
	body := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')", "tolerances": [{"expect": "max(latency_p99) < 300ms"}]}`
	resp, err := http.Post(base+"/v1/run", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("PXGATE_ANSWER_MEMORY=%d: %d %s; want 200", config.MinAnswerMemory, resp.StatusCode, b)
	}
}
