package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// The servers run in child processes: this program again, with childEnv
// holding a childSpec. A child serves on loopback, prints its URL on
// stdout and serves until its stdin closes.

// childEnv holds a child's childSpec as JSON.
const childEnv = "PXGATE_BENCH_LOAD_CHILD"

// Server kinds.
const (
	kindGateway = "gateway" // pxgate's handlers over the fake Vizier
	kindBytes   = "bytes"   // a bare net/http server sending one answer
	kindBare    = "bare"    // kindBytes after running the query with the pixie client
)

// Paths a gateway child answers besides pxgate's routes.
const (
	childP50Path        = "/_bench/p50"        // the median Pixie call inside the gateway, ns
	childGoroutinesPath = "/_bench/goroutines" // the child's goroutines
	childCPUPath        = "/_bench/cpu"        // the child's CPU time so far (user and system), ns; every kind
)

// childSpec is what a child serves.
type childSpec struct {
	Kind          string
	VizierAddr    string
	Cache         bool          // a result cache (TTL 1 minute)
	MaxConcurrent int           // handlers.Options.MaxConcurrent
	QueueWait     time.Duration // handlers.Options.QueueWait
	Timed         bool          // time the Pixie calls (childP50Path)
	Profile       bool          // the parent's -cpuprofile and -memprofile cover this child
	CPUProfile    string
	MemProfile    string
	Answer        *answer // kindBytes, kindBare: what to send
}

// startServer runs a child serving spec and returns its URL and what
// stops it.
func (b *bench) startServer(spec childSpec) (url string, stop func()) {
	spec.VizierAddr = b.fake.Addr()
	if spec.Profile {
		spec.CPUProfile, spec.MemProfile = b.cpuProfile, b.memProfile
	}
	js, err := json.Marshal(spec)
	must(err)
	exe, err := os.Executable()
	must(err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	must(err)
	stdout, err := cmd.StdoutPipe()
	must(err)
	must(cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	must(err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if !ok {
		must(fmt.Errorf("a %s child said %q, not its URL", spec.Kind, line))
	}
	return url, func() {
		b.hc.CloseIdleConnections()
		_ = stdin.Close()
		_ = cmd.Wait()
	}
}

// childDuration reads a duration in ns from a child's path.
func (b *bench) childDuration(url string) time.Duration {
	return time.Duration(b.childCount(url))
}

// childCount reads a number from a child's path.
func (b *bench) childCount(url string) int {
	resp, err := b.hc.Get(url)
	must(err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(err)
	n, err := strconv.Atoi(strings.TrimSpace(string(body)))
	must(err)
	return n
}

// runChild serves the childSpec in childEnv, if any, until stdin closes;
// false when this process is not a child.
func runChild() bool {
	js, ok := os.LookupEnv(childEnv)
	if !ok {
		return false
	}
	var spec childSpec
	must(json.Unmarshal([]byte(js), &spec))
	var h http.Handler
	switch spec.Kind {
	case kindBytes:
		h = bytesHandler(spec.Answer)
	case kindBare:
		h = bareHandler(spec)
	default:
		h = gatewayHandler(spec)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	served := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == childCPUPath {
			fmt.Fprintln(w, int64(processCPU()))
			return
		}
		served.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stopProfile := startProfile(spec.CPUProfile)
	fmt.Printf("URL http://%s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	stopProfile()
	if spec.MemProfile != "" {
		f, err := os.Create(spec.MemProfile)
		must(err)
		must(pprof.Lookup("allocs").WriteTo(f, 0))
		must(f.Close())
	}
	_ = srv.Close()
	return true
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gatewayHandler is pxgate's handler over the fake Vizier, with the
// child's own paths.
func gatewayHandler(spec childSpec) http.Handler {
	client, err := vizier.New(vizier.Config{DirectAddr: spec.VizierAddr, Plaintext: true})
	must(err)
	timed := &timedPixie{Pixie: client}
	opts := handlers.Options{Pixie: client, MaxConcurrent: spec.MaxConcurrent, QueueWait: spec.QueueWait}
	if spec.Timed {
		opts.Pixie = timed
	}
	if spec.Cache {
		opts.Cache = cache.New(time.Minute, 100, 64<<20)
	}
	gw := handlers.New(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case childP50Path:
			fmt.Fprintln(w, int64(timed.p50()))
		case childGoroutinesPath:
			runtime.GC()
			fmt.Fprintln(w, runtime.NumGoroutine())
		default:
			gw.ServeHTTP(w, r)
		}
	})
}

// bareHandler is the least any gateway in its own process does: it runs
// the query with the pixie client (rows collected, nothing else), then
// sends spec.Answer as bytesHandler does. What it adds to the direct call
// and the floor is the query's hop out of the process, no pxgate code.
func bareHandler(spec childSpec) http.Handler {
	client, err := vizier.New(vizier.Config{DirectAddr: spec.VizierAddr, Plaintext: true})
	must(err)
	answer := bytesHandler(spec.Answer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := client.Execute(r.Context(), pixie.Request{Script: "bare"}, &pixie.Collector{}); err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		answer.ServeHTTP(w, r)
	})
}

// timedPixie records how long each Execute takes inside the gateway.
type timedPixie struct {
	handlers.Pixie
	mu  sync.Mutex
	lat []time.Duration
}

func (t *timedPixie) Execute(ctx context.Context, r pixie.Request, sink pixie.Sink) (pixie.Summary, error) {
	start := time.Now()
	s, err := t.Pixie.Execute(ctx, r, sink)
	d := time.Since(start)
	t.mu.Lock()
	t.lat = append(t.lat, d)
	t.mu.Unlock()
	return s, err
}

// p50 returns the median of the recorded calls and forgets them.
func (t *timedPixie) p50() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lat) == 0 {
		return 0
	}
	slices.Sort(t.lat)
	p := t.lat[(len(t.lat)-1)/2]
	t.lat = nil
	return p
}

// startProfile starts a CPU profile into path (none when empty), and
// returns what stops it.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	must(err)
	must(pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		must(f.Close())
	}
}

// bytesHandler answers a to every request, after reading its body, with
// the gateway's headers (less those net/http sets itself) and a
// Content-Length: a bare HTTP hop.
func bytesHandler(a *answer) http.Handler {
	header := a.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Transfer-Encoding", "Connection"} {
		header.Del(k)
	}
	header.Set("Content-Length", strconv.Itoa(len(a.Body)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}
