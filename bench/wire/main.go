// Command wire measures how close pxgate answers a large result to the
// wire: the same million-row result read from a fake Vizier by a bare gRPC
// loop that decodes nothing (the physical limit), and through pxgate in
// JSON, NDJSON and CSV, with pxgate's peak RSS for each format.
//
//	go run ./bench/wire                                  # builds ./cmd/server
//	go run ./bench/wire -bin before=/tmp/pxgate-old -bin after=/tmp/pxgate-new
//
// pxgate runs as a child process (one per binary and format, so that each
// peak RSS, VmHWM in /proc, is that format's); this process serves the
// fake Vizier and reads every answer over loopback. Runs are interleaved
// (bare loop, then each binary and format, -reps times) so that a busy
// machine slows them alike; the table gives medians.
//
// Two figures say what bounds the ratio on a given machine: "cores" is the
// CPU an answer took in all (pxgate's and this process's, the fake Vizier
// and the reader) over its time, and each format's floor is a bare net/http
// server sending the same bytes, the HTTP hop with no work behind it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// script is what every run asks for; the fake answers it with the table.
const script = "import px\npx.display(px.DataFrame('http_events'), 'output')\n"

// binFlag collects -bin name=path.
type binFlag []binary

type binary struct {
	name, path string
	env        []string // added to the child's environment
}

func (b *binFlag) String() string { return fmt.Sprint(*b) }

func (b *binFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want name=path, got %q", v)
	}
	*b = append(*b, binary{name: name, path: path})
	return nil
}

func main() {
	if file := os.Getenv(floorEnv); file != "" {
		serveFloor(file, os.Getenv(floorListenEnv))
		return
	}
	if os.Getenv(leanEnv) != "" {
		serveLean()
		return
	}
	var bins binFlag
	rows := flag.Int("rows", 1_000_000, "rows in the result table")
	batch := flag.Int("batch", 1024, "rows per Vizier batch")
	reps := flag.Int("reps", 5, "repetitions of every measurement")
	formats := flag.String("formats", "json,ndjson,csv", "pxgate formats to measure")
	concurrent := flag.Int("concurrent", 20, "then this many JSON answers at once from a fresh child per binary (0: skip)")
	lean := flag.Bool("lean", true, "also measure the lean gateways (lean.go): the least a gateway does, with and without formatting")
	flag.Var(&bins, "bin", "a pxgate binary to measure, name=path (repeatable; default: ./cmd/server built now)")
	flag.Parse()
	log.SetFlags(0)
	if len(bins) == 0 {
		bins = binFlag{{name: "pxgate", path: buildServer()}}
	}
	if *lean {
		bins = append(bins, leanBinaries()...)
	}
	table := fakevizier.LETTable("output", *rows, time.Now().Add(-time.Hour), func(i int) time.Duration {
		return 150*time.Millisecond + time.Duration(i%13)*5*time.Millisecond
	})
	fake, err := fakevizier.Start(fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}, BatchRows: *batch})})
	must(err)
	defer fake.Close()
	fmt.Printf("pxgate wire benchmark: %d CPUs, %s, %d rows in %d-row batches, %d reps, load average %s\n",
		runtime.NumCPU(), runtime.Version(), *rows, *batch, *reps, loadAverage())

	var cases []*gateway
	for _, b := range bins {
		for f := range strings.SplitSeq(*formats, ",") {
			g, err := startGateway(b, f, fake.Addr(), *rows)
			must(err)
			atExit(g.stop)
			cases = append(cases, g)
		}
	}
	var bare, decoded []time.Duration
	var bareBytes int64
	floors := map[string]*floor{}
	for range *reps {
		d, n, err := bareReceive(fake.Addr(), false)
		must(err)
		bare, bareBytes = append(bare, d), n
		d, _, err = bareReceive(fake.Addr(), true)
		must(err)
		decoded = append(decoded, d)
		for _, g := range cases {
			keep := floors[g.format] == nil
			must(g.measure(keep))
			if keep {
				floors[g.format] = startFloor(g)
				atExit(floors[g.format].stop)
				atExit(func() { _ = os.Remove(g.body) })
			}
		}
		for _, f := range floors {
			must(f.measure())
		}
	}
	report(bare, decoded, bareBytes, cases, floors)
	if *concurrent > 0 {
		for _, b := range bins {
			if b.env != nil {
				continue // a lean gateway streams; what it holds at once says nothing of pxgate
			}
			must(concurrentPeak(b, fake.Addr(), *rows, *concurrent))
		}
	}
	fmt.Printf("load average after: %s\n", loadAverage())
	cleanUp()
}

// buildServer builds ./cmd/server into a temporary directory, removed at
// exit (after the children that run it, which are stopped first).
func buildServer() string {
	dir, err := os.MkdirTemp("", "pxgate-wire")
	must(err)
	atExit(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "pxgate")
	cmd := exec.Command("go", "build", "-o", path, "./cmd/server")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	must(cmd.Run())
	return path
}

// rawFrame is a message received and not decoded.
type rawFrame struct{ n int }

// rawCodec marshals requests as protobuf and keeps responses as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }

func (rawCodec) Unmarshal(data []byte, v any) error {
	v.(*rawFrame).n = len(data)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// bareReceive runs the query on the fake Vizier and reads every response
// message without decoding it: the physical limit of any client. With
// decode, every message is decoded by the generated code instead, as
// Pixie's own Go client does (and n is 0).
func bareReceive(addr string, decode bool) (d time.Duration, n int64, err error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var opts []grpc.CallOption
	if !decode {
		opts = append(opts, grpc.ForceCodec(rawCodec{}))
	}
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, vizierpb.VizierService_ExecuteScript_FullMethodName, opts...)
	if err != nil {
		return 0, 0, err
	}
	if err := stream.SendMsg(&vizierpb.ExecuteScriptRequest{QueryStr: script}); err != nil {
		return 0, 0, err
	}
	if err := stream.CloseSend(); err != nil {
		return 0, 0, err
	}
	for {
		var f rawFrame
		var m any = &f
		if decode {
			m = &vizierpb.ExecuteScriptResponse{}
		}
		err := stream.RecvMsg(m)
		if err == io.EOF {
			return time.Since(start), n, nil
		}
		if err != nil {
			return 0, 0, err
		}
		n += int64(f.n)
	}
}

// gateway is one pxgate child process answering in one format.
type gateway struct {
	bin    binary
	format string
	cmd    *exec.Cmd
	base   string
	times  []time.Duration
	cpu    []time.Duration // the child's CPU time per answer
	peer   []time.Duration // this process's CPU time meanwhile: the fake Vizier's and the reader's
	bytes  int64
	body   string // the file of the first answer, for the floor
}

// startGateway runs bin against the fake Vizier at addr, with row limits
// above rows, and waits until it is ready.
func startGateway(bin binary, format, addr string, rows int) (*gateway, error) {
	listen := freeAddr()
	cmd := exec.Command(bin.path)
	limit := strconv.Itoa(2 * rows)
	cmd.Env = append(os.Environ(), "PIXIE_DIRECT_ADDR="+addr, "PIXIE_DIRECT_PLAINTEXT=true", "PXGATE_DEMO=off",
		"PXGATE_LISTEN_ADDR="+listen, "PXGATE_MAX_ROWS="+limit, "PXGATE_MAX_STREAM_ROWS="+limit,
		"PXGATE_LOG_LEVEL=warn", "PXGATE_QUERY_TIMEOUT=5m", "PXGATE_DEFAULT_TIMEOUT=5m",
		"PXGATE_MAX_CONCURRENT=64", "PXGATE_CALLER_SHARE=1") // -concurrent: no query slot refuses
	cmd.Env = append(cmd.Env, bin.env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gateway{bin: bin, format: format, cmd: cmd, base: "http://" + listen}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(g.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
	}
	g.stop()
	return nil, fmt.Errorf("%s (%s) did not become ready", bin.name, bin.path)
}

// measure runs the query once through the gateway and records its time;
// with keepBody, it keeps the answer in a file (g.body) for the floor.
func (g *gateway) measure(keepBody bool) error {
	var keep *os.File
	if keepBody {
		f, err := os.CreateTemp("", "pxgate-wire-"+g.format)
		if err != nil {
			return err
		}
		defer f.Close()
		keep, g.body = f, f.Name()
	}
	cpu0, self0 := g.cpuTime(), selfCPU()
	start := time.Now()
	n, err := g.request(keep)
	if err != nil {
		return err
	}
	g.times, g.bytes = append(g.times, time.Since(start)), n
	g.cpu = append(g.cpu, g.cpuTime()-cpu0)
	g.peer = append(g.peer, selfCPU()-self0)
	return nil
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floor is a bare net/http server on loopback sending the bytes of one
// format's answer as pxgate sends them (chunked, flushSize writes) with no
// work behind them: the HTTP hop alone, which no gateway can beat. It is
// a child process (this program, floorEnv set) holding the answer, so
// that this process's memory, and the bare loop's speed, stay the same.
type floor struct {
	format string
	url    string
	times  []time.Duration
	cmd    *exec.Cmd
}

// floorEnv names the answer file a floor child serves; floorListenEnv its
// address.
const floorEnv, floorListenEnv = "PXGATE_WIRE_FLOOR", "PXGATE_WIRE_FLOOR_LISTEN"

// flushSize is pxgate's write size (render.flushSize).
const flushSize = 256 << 10

// freeAddr is a loopback address free a moment ago, for a child to listen on.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer ln.Close()
	return ln.Addr().String()
}

// startFloor starts a floor child serving g's first answer.
func startFloor(g *gateway) *floor {
	self, err := os.Executable()
	must(err)
	addr := freeAddr()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), floorEnv+"="+g.body, floorListenEnv+"="+addr)
	cmd.Stderr = os.Stderr
	must(cmd.Start())
	f := &floor{format: g.format, url: "http://" + addr + "/", cmd: cmd}
	for range 500 {
		if resp, err := http.Head(f.url); err == nil {
			resp.Body.Close()
			return f
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.stop()
	must(fmt.Errorf("the %s floor did not start", g.format))
	return nil
}

func (f *floor) stop() {
	_ = f.cmd.Process.Kill()
	_ = f.cmd.Wait()
}

// serveFloor is a floor child: it serves the answer in file at addr.
func serveFloor(file, addr string) {
	body, err := os.ReadFile(file)
	must(err)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			return
		}
		for b := body; len(b) > 0; {
			n := min(len(b), flushSize)
			if _, err := w.Write(b[:n]); err != nil {
				return
			}
			b = b[n:]
		}
	})))
}

// measure reads the floor's answer once.
func (f *floor) measure() error {
	start := time.Now()
	resp, err := http.Get(f.url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	f.times = append(f.times, time.Since(start))
	return nil
}

// request runs the query once through the gateway and reads the answer,
// which must pass.
func (g *gateway) request(keep *os.File) (int64, error) {
	resp, err := http.Post(g.base+"/v1/run?format="+g.format, "application/json", strings.NewReader(`{"script": `+strconv.Quote(script)+`}`))
	if err != nil {
		return 0, err
	}
	to := io.Discard
	if keep != nil {
		to = keep // (a nil *os.File in an io.Writer is not nil)
	}
	n, err := io.Copy(to, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || resp.Trailer.Get("X-Pxgate-Verdict") == "fail" {
		return 0, fmt.Errorf("%s %s: status %d, trailers %v", g.bin.name, g.format, resp.StatusCode, resp.Trailer)
	}
	return n, nil
}

// cpuTime is the child's user and system CPU time so far (/proc/PID/stat,
// in clock ticks of 10 ms).
func (g *gateway) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(b), ") ") // the command name may hold spaces
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// peakRSS is the child's VmHWM in MiB.
func (g *gateway) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

func (g *gateway) stop() {
	_ = g.cmd.Process.Kill()
	_ = g.cmd.Wait()
}

// concurrentPeak runs n JSON answers at once through a fresh child of bin
// and prints its peak RSS: what n large answers in flight hold together.
func concurrentPeak(bin binary, addr string, rows, n int) error {
	g, err := startGateway(bin, "json", addr, rows)
	if err != nil {
		return err
	}
	defer g.stop()
	start := time.Now()
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := g.request(nil)
			errs <- err
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			failed++
			log.Printf("%s: %v", bin.name, err)
		}
	}
	fmt.Printf("%s: %d JSON answers of %d rows at once: %s, %d failed, peak RSS %.1f MiB\n",
		bin.name, n, rows, time.Since(start).Round(time.Millisecond), failed, g.peakRSS())
	return nil
}

// report prints the table: medians, ratio to the bare loop, CPU, peak
// RSS; then the floors. "cores" is all the CPU an answer took (pxgate's,
// and this process's: the fake Vizier and the reader) over its time: near
// the machine's CPUs, the answer waits for CPU, and only less work, not
// more parallel work, makes it faster.
func report(bare, decoded []time.Duration, bareBytes int64, cases []*gateway, floors map[string]*floor) {
	b := median(bare)
	fmt.Printf("\n%-30s %8s %7s %10s %9s %6s %7s %11s %12s\n", "", "median", "x bare", "pxgate CPU", "other CPU", "cores", "MB/s", "bytes", "peak RSS")
	fmt.Printf("%-30s %8s %7s %10s %9s %6s %7.0f %11d %12s\n", "bare gRPC receive (no decode)", b.Round(time.Millisecond), "1.00", "-", "-", "-", float64(bareBytes)/b.Seconds()/1e6, bareBytes, "-")
	dm := median(decoded)
	fmt.Printf("%-30s %8s %7.2f   (every message decoded by the generated code, as Pixie's Go client does)\n", "gRPC receive and decode", dm.Round(time.Millisecond), dm.Seconds()/b.Seconds())
	for _, g := range cases {
		m := median(g.times)
		cpu, peer := median(g.cpu), median(g.peer)
		fmt.Printf("%-30s %8s %7.2f %10s %9s %6.2f %7.0f %11d %8.1f MiB\n", g.bin.name+" "+g.format, m.Round(time.Millisecond), m.Seconds()/b.Seconds(),
			cpu, peer.Round(time.Millisecond), (cpu+peer).Seconds()/m.Seconds(), float64(g.bytes)/m.Seconds()/1e6, g.bytes, g.peakRSS())
	}
	for _, f := range sortedFloors(floors) {
		m := median(f.times)
		fmt.Printf("%-30s %8s %7.2f   (bare net/http sending the same %s bytes: the HTTP hop alone)\n", "floor "+f.format, m.Round(time.Millisecond), m.Seconds()/b.Seconds(), f.format)
	}
}

// sortedFloors lists floors by format.
func sortedFloors(floors map[string]*floor) []*floor {
	var fs []*floor
	for _, f := range floors {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b *floor) int { return strings.Compare(a.format, b.format) })
	return fs
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// cleanups are what runs before the program ends, also when it fails:
// child processes serve until killed.
var cleanups []func()

// atExit adds f to the cleanups.
func atExit(f func()) { cleanups = append(cleanups, f) }

// cleanUp runs the cleanups, the last added first.
func cleanUp() {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

func must(err error) {
	if err != nil {
		cleanUp()
		log.Fatal(err)
	}
}
