// Command load measures pxgate on loopback against the fake Vizier and
// prints the figures: the gateway's overhead over the Pixie client alone, and
// its behaviour under overload. It is bounded in time and requests. Each
// server (the gateway, the bare net/http floor) runs in a child process of
// its own (this program run again, child.go), so that the load generator's
// work is not counted in the server's, and a CPU profile is the server's.
//
//	go run ./bench/load                       # defaults: 10 s per phase
//	go run ./bench/load -duration 60s -overload 60s
//
// Phases:
//  1. direct:   the pixie client runs the query itself (the baseline)
//  2. gateway:  POST /v1/run through pxgate's real handlers over HTTP
//  3. floor:    a bare net/http server on loopback answering the same POST
//     with the bytes the gateway sent: the HTTP hop alone, so that
//     gateway - direct - floor is what pxgate itself adds; and a bare
//     gateway, the floor after a pixie call of its own: what of that any
//     gateway in a process of its own adds
//  4. overload: twice PXGATE_MAX_CONCURRENT callers against a slow Vizier;
//     counts 429s against other errors and checks goroutines return to
//     their starting number afterwards.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// flags are the command line's settings.
type flags struct {
	duration, overload time.Duration
	concurrency        int
	rows               int
	limit              int
	maxRequests        int64
	vizierDelay        time.Duration
	cpuProfile         string
	profilePhase       string
	memProfile         string
}

// parseFlags reads the command line.
func parseFlags() flags {
	var f flags
	flag.DurationVar(&f.duration, "duration", 10*time.Second, "length of the direct and gateway phases")
	flag.DurationVar(&f.overload, "overload", 10*time.Second, "length of the overload phase")
	flag.IntVar(&f.concurrency, "c", 8, "concurrent callers in the direct and gateway phases")
	flag.IntVar(&f.rows, "rows", 100, "rows in the result table")
	flag.IntVar(&f.limit, "limit", 8, "the gateway's concurrency limit (PXGATE_MAX_CONCURRENT) in the overload phase")
	flag.Int64Var(&f.maxRequests, "n", 2_000_000, "stop a phase after this many requests")
	flag.DurationVar(&f.vizierDelay, "vizier-delay", 2*time.Millisecond, "per-message delay of the fake Vizier in the realistic phase")
	flag.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of one phase (-profile-phase) to this file")
	flag.StringVar(&f.profilePhase, "profile-phase", "gateway", "the phase -cpuprofile covers: gateway (POST /v1/run), bare (the bare gateway) or cached (cached GET)")
	flag.StringVar(&f.memProfile, "memprofile", "", "write an allocation profile (whole run up to the gateway phase's end) to this file")
	flag.Parse()
	return f
}

// bench is what the phases share: the fake Vizier and its table, the pixie
// client, the query (as a pixie request and as a POST body) and the HTTP
// client the callers use.
type bench struct {
	flags
	fake   *fakevizier.Server
	table  *fakevizier.Table
	client *vizier.Client
	query  pixie.Request
	body   []byte
	hc     *http.Client
}

func main() {
	if runChild() {
		return
	}
	f := parseFlags()
	log.SetFlags(0)

	fmt.Printf("pxgate load benchmark: %d CPUs, %s, result %d rows, %d callers\n", runtime.NumCPU(), runtime.Version(), f.rows, f.concurrency)
	table := fakevizier.LETTable("output", f.rows, time.Now().Add(-time.Hour), func(i int) time.Duration {
		return 150*time.Millisecond + time.Duration(i%13)*5*time.Millisecond
	})
	fake, err := fakevizier.Start(fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}})})
	must(err)
	defer fake.Close()
	client, err := vizier.New(vizier.Config{DirectAddr: fake.Addr(), Plaintext: true})
	must(err)
	defer client.Close()

	b := &bench{
		flags:  f,
		fake:   fake,
		table:  table,
		client: client,
		query:  pixie.Request{Script: "import px\npx.display(px.DataFrame('http_events'), 'output')\n"},
		body:   []byte(`{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')\n", "tolerances": [{"expect": "p99(latency_p99) < 300ms"}]}`),
		hc:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: f.concurrency * 2}},
	}
	b.instantVizier()
	b.slowVizier()
	b.cachedGET()
	if !b.overloaded() {
		os.Exit(1)
	}
}

// run runs one phase of the direct and gateway phases' length and callers.
func (b *bench) run(fn func(context.Context) error) *result {
	return run(b.duration, b.concurrency, b.maxRequests, fn)
}

// serve runs one phase against the child at url, recording the child's CPU
// time per request.
func (b *bench) serve(url string, fn func(context.Context) error) *result {
	before := b.childDuration(url + childCPUPath)
	r := b.run(fn)
	if n := len(r.lat); n > 0 {
		r.serverCPU = (b.childDuration(url+childCPUPath) - before) / time.Duration(n)
	}
	return r
}

// direct runs the query with the pixie client alone (the baseline).
func (b *bench) direct() *result {
	return b.run(func(ctx context.Context) error {
		_, err := b.client.Execute(ctx, b.query, &pixie.Collector{})
		return err
	})
}

// instantVizier compares the client alone, the gateway and the bare HTTP
// floor against a Vizier that answers at once.
func (b *bench) instantVizier() {
	direct := b.direct()
	direct.print("direct (pixie client)")

	url, stop := b.startServer(childSpec{Kind: kindGateway, Timed: true, Profile: b.profilePhase == "gateway"})
	gw := b.serve(url, func(ctx context.Context) error {
		return post(ctx, b.hc, url+"/v1/run", b.body, http.StatusOK)
	})
	gw.print("gateway (POST /v1/run)")
	inside := b.childDuration(url + childP50Path)
	sent, err := capture(context.Background(), b.hc, http.MethodPost, url+"/v1/run", b.body)
	must(err)
	stop()
	fmt.Printf("overhead ratio p50 %.2fx, throughput %.2fx (goal <= 1.3x for %d rows), added p50 %s\n",
		float64(gw.p(50))/float64(direct.p(50)), direct.rps()/gw.rps(), b.rows, gw.p(50)-direct.p(50))

	// The floor: the same exchange with a server that does nothing but
	// HTTP, what any gateway in front of the client costs at least.
	url, stop = b.startServer(childSpec{Kind: kindBytes, Answer: sent})
	floor := b.serve(url, func(ctx context.Context) error {
		return post(ctx, b.hc, url+"/v1/run", b.body, sent.Status)
	})
	stop()
	floor.print(fmt.Sprintf("floor (bare net/http, same %d B answer)", len(sent.Body)))
	// The floor ratio is the best a gateway could do against this (instant)
	// Vizier: the client's latency plus the hop's, and on shared CPUs the
	// client's work plus the hop's.
	fmt.Printf("floor ratio p50 %.2fx, throughput %.2fx (direct + HTTP hop)\n",
		float64(direct.p(50)+floor.p(50))/float64(direct.p(50)), 1+direct.rps()/floor.rps())
	fmt.Printf("added by pxgate beyond the HTTP hop: p50 %s (gateway %s - direct %s - floor %s)\n",
		gw.p(50)-direct.p(50)-floor.p(50), gw.p(50), direct.p(50), floor.p(50))
	// A bare gateway (child.go's bareHandler): the pixie call and the
	// same answer, no pxgate code. It splits what is added into what any
	// gateway in a process of its own adds (the query's hop out of the
	// process) and what pxgate's own work adds.
	url, stop = b.startServer(childSpec{Kind: kindBare, Answer: sent, Profile: b.profilePhase == "bare"})
	bare := b.serve(url, func(ctx context.Context) error {
		return post(ctx, b.hc, url+"/v1/run", b.body, sent.Status)
	})
	stop()
	bare.print("bare gateway (net/http + pixie client)")
	fmt.Printf("  of which: any gateway's (bare - direct - floor) %s, pxgate's own work (gateway - bare) %s\n",
		bare.p(50)-direct.p(50)-floor.p(50), gw.p(50)-bare.p(50))
	fmt.Printf("  server CPU per request: gateway %s, bare gateway %s, floor %s: pxgate's own work is %s of CPU (gateway - bare), the rest of its %s waiting (wake-ups, scheduling)\n",
		gw.serverCPU, bare.serverCPU, floor.serverCPU, gw.serverCPU-bare.serverCPU, gw.p(50)-bare.p(50))
	// The direct phase calls the client in a tight loop, which keeps its
	// goroutines, threads and caches hot; inside the gateway the same call
	// (with the gateway's sinks: collecting rows, feeding tolerances) runs
	// between HTTP work and is slower for that alone.
	fmt.Printf("  of which: the pixie call slower inside the gateway %s (p50 %s with the gateway's sinks, vs %s direct), the rest %s (handlers' own work, scheduling; gateway - floor - call)\n",
		inside-direct.p(50), inside, direct.p(50), gw.p(50)-floor.p(50)-inside)
}

// slowVizier compares the client alone and the gateway with a Vizier that
// takes about as long as a small real query (each of the stream's messages
// after a pause).
func (b *bench) slowVizier() {
	b.fake.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{b.table}, Delay: b.vizierDelay}))
	direct := b.direct()
	direct.print(fmt.Sprintf("direct, vizier %s/message", b.vizierDelay))
	url, stop := b.startServer(childSpec{Kind: kindGateway})
	gw := b.run(func(ctx context.Context) error {
		return post(ctx, b.hc, url+"/v1/run", b.body, http.StatusOK)
	})
	stop()
	gw.print(fmt.Sprintf("gateway, vizier %s/message", b.vizierDelay))
	fmt.Printf("overhead ratio with a %s/message vizier: p50 %.2fx, throughput %.2fx\n",
		b.vizierDelay, float64(gw.p(50))/float64(direct.p(50)), direct.rps()/gw.rps())
}

// cachedGET measures the answer of an identical request within the cache's
// TTL, and its floor: a bare net/http server sending the same bytes.
func (b *bench) cachedGET() {
	url, stop := b.startServer(childSpec{Kind: kindGateway, Cache: true, Profile: b.profilePhase == "cached"})
	getURL := url + "/v1/scripts/service_let/run?service=default/consumer&start_time=-5m" // a dashboard panel: no expect=, so cacheable
	cached := b.serve(url, func(ctx context.Context) error {
		return get(ctx, b.hc, getURL, http.StatusOK)
	})
	hit, err := capture(context.Background(), b.hc, http.MethodGet, getURL, nil)
	must(err)
	stop()
	cached.print("cached GET /v1/scripts/service_let/run")
	// Its floor: a bare net/http server sending the same bytes to the
	// same GET, what serving any stored answer costs at least here.
	url, stop = b.startServer(childSpec{Kind: kindBytes, Answer: hit})
	cachedFloor := b.serve(url, func(ctx context.Context) error {
		return get(ctx, b.hc, url+"/v1/scripts/service_let/run", hit.Status)
	})
	stop()
	cachedFloor.print(fmt.Sprintf("floor (bare net/http GET, same %d B answer)", len(hit.Body)))
	fmt.Printf("cached GET: %.0f req/s (goal >= 20000 on 2 cores), %.0f%% of the bare net/http floor (%.0f req/s); server CPU per request %s, the floor's %s\n",
		cached.rps(), 100*cached.rps()/cachedFloor.rps(), cachedFloor.rps(), cached.serverCPU, cachedFloor.serverCPU)
}

// overloaded runs twice as many callers as the gateway admits against a
// Vizier that takes ~200 ms per query (longer than the gateway's 100 ms
// queue wait). It reports whether every refusal was a 429 (no other error).
func (b *bench) overloaded() bool {
	b.fake.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{b.table}, Delay: 50 * time.Millisecond}))
	b.hc.CloseIdleConnections()
	url, stop := b.startServer(childSpec{Kind: kindGateway, MaxConcurrent: b.limit, QueueWait: 100 * time.Millisecond})
	defer stop()
	_ = post(context.Background(), b.hc, url+"/v1/run", b.body, http.StatusOK) // connects the child's Pixie client
	b.hc.CloseIdleConnections()
	before := b.childCount(url + childGoroutinesPath)
	var rejected, other atomic.Int64
	ov := run(b.overload, 2*b.limit, b.maxRequests, func(ctx context.Context) error {
		err := post(ctx, b.hc, url+"/v1/run", b.body, http.StatusOK)
		var se statusError
		switch {
		case err == nil:
		case asStatus(err, &se) && se.got == http.StatusTooManyRequests:
			rejected.Add(1)
			return nil
		default:
			other.Add(1)
		}
		return err
	})
	b.hc.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond)
	after := b.childCount(url + childGoroutinesPath)
	ov.print(fmt.Sprintf("overload (%d callers, limit %d)", 2*b.limit, b.limit))
	fmt.Printf("overload: %d answered 429, %d other errors (goal 0); goroutines before %d, after %d\n",
		rejected.Load(), other.Load(), before, after)
	return other.Load() == 0
}

// result holds one phase's latencies.
type result struct {
	lat       []time.Duration
	errs      int64
	elapsed   time.Duration
	serverCPU time.Duration // the server's CPU time per request (serve), 0 if not measured
}

func (r *result) p(q int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[(len(r.lat)-1)*q/100]
}

func (r *result) rps() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

func (r *result) print(name string) {
	fmt.Printf("%-40s %8.0f req/s  p50 %-10s p99 %-10s errors %d (%d requests in %s)\n",
		name, r.rps(), r.p(50), r.p(99), r.errs, len(r.lat), r.elapsed.Round(time.Millisecond))
}

// run calls fn from c goroutines for d or until n calls.
func run(d time.Duration, c int, n int64, fn func(context.Context) error) *result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu    sync.Mutex
		all   []time.Duration
		errs  atomic.Int64
		count atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for ctx.Err() == nil && count.Add(1) <= n {
				t := time.Now()
				if err := fn(context.Background()); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return &result{lat: all, errs: errs.Load(), elapsed: time.Since(start)}
}

// answer is one response as the gateway sent it.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// capture sends one request and keeps its answer.
func capture(ctx context.Context, hc *http.Client, method, url string, body []byte) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

type statusError struct{ got int }

func (e statusError) Error() string { return fmt.Sprintf("status %d", e.got) }

func asStatus(err error, se *statusError) bool {
	s, ok := err.(statusError)
	*se = s
	return ok
}

func get(ctx context.Context, hc *http.Client, url string, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return statusError{resp.StatusCode}
	}
	return nil
}

func post(ctx context.Context, hc *http.Client, url string, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return statusError{resp.StatusCode}
	}
	return nil
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
