package demo

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// DefaultWindow is how much telemetry a cluster keeps.
const DefaultWindow = 15 * time.Minute

// MaxExtraRPS bounds the extra load on one service at any moment, all
// AddLoad calls together.
const MaxExtraRPS = 2000

// MaxLoads bounds the loads a cluster holds that have not ended.
const MaxLoads = 64

// LoadLimitError is AddLoad's error when the new load would take a
// service past MaxExtraRPS or the cluster past MaxLoads: the request is
// valid, the cluster has no room for it now.
type LoadLimitError struct {
	msg   string
	retry time.Duration
}

func (e *LoadLimitError) Error() string { return e.msg }

// RetryAfter is how long until the first load in the way ends: the
// earliest moment the same request may fit.
func (e *LoadLimitError) RetryAfter() time.Duration { return e.retry }

// LoadArgError is AddLoad's error for an argument it cannot take.
type LoadArgError struct {
	field, msg string
}

func (e *LoadArgError) Error() string { return e.msg }

// Field names the argument at fault: service, rps or duration.
func (e *LoadArgError) Field() string { return e.field }

// DefaultMaxRows bounds the rows stored (all tables): under extreme load
// the oldest seconds are dropped before the window is over, which bounds
// memory (~130 bytes per row).
const DefaultMaxRows = 1_000_000

// Options configure a Cluster.
type Options struct {
	// Seed makes the telemetry reproducible: for one seed and one clock,
	// the data is identical. 0 means 1.
	Seed uint64
	// Clock is the cluster's time source; nil means time.Now.
	Clock func() time.Time
	// Window is how much telemetry is kept (and generated up front);
	// 0 means DefaultWindow.
	Window time.Duration
	// MaxRows bounds the rows kept (all tables); 0 means DefaultMaxRows.
	MaxRows int
	// DeployTime is how long a tracepoint (pxtrace) takes to deploy, on
	// Clock: 0 means DefaultDeployTime, a negative value at once.
	DeployTime time.Duration
}

// Cluster is a synthetic Kubernetes cluster with a few microservices whose
// telemetry (http_events, process_stats, conn_stats, network_stats) is
// generated second by second, lazily: each query (Scan) or AddLoad first
// generates every whole second elapsed since the last one, up to the
// clock's now. Data older than the window is dropped. A Cluster is a
// pxl.Source and is safe for concurrent use.
type Cluster struct {
	seed    uint64
	clock   func() time.Time
	window  int64 // seconds
	maxRows int

	svcs      []*service
	svcByName map[string]*service
	pods      []*pod
	upids     []pxl.U128
	meta      *pxl.Metadata
	loadgen   *pod
	operator  *pod

	mu     sync.Mutex
	next   int64 // the next second to generate; 0 before the first use
	chunks []*chunk
	rows   int // rows in chunks
	loads  []load
	st     simState

	tps tracepoints // pxtrace (tracepoints.go)
}

type load struct {
	svc      *service
	rps      float64
	from, to int64 // ns
}

// New returns a cluster. Nothing is generated until it is first used.
func New(opts Options) *Cluster {
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	window := opts.Window
	if window <= 0 {
		window = DefaultWindow
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	c := &Cluster{seed: seed, clock: clock, window: int64(math.Ceil(window.Seconds())), maxRows: maxRows, svcByName: map[string]*service{}}
	c.svcs, c.pods, c.meta = buildTopology(seed, clock().UnixNano())
	for _, s := range c.svcs {
		c.svcByName[s.name] = s
		c.svcByName[s.namespace+"/"+s.name] = s
	}
	for _, p := range c.pods {
		c.upids = append(c.upids, p.upid)
	}
	switch {
	case opts.DeployTime == 0:
		c.tps.deploy = int64(DefaultDeployTime)
	case opts.DeployTime > 0:
		c.tps.deploy = int64(opts.DeployTime)
	}
	c.loadgen = c.svcByName["loadgen"].pods[0]
	c.operator = c.svcByName["vizier-operator"].pods[0]
	return c
}

// Services returns the traced services as namespace/name.
func (c *Cluster) Services() []string {
	var out []string
	for _, s := range c.svcs {
		if !s.external {
			out = append(out, s.namespace+"/"+s.name)
		}
	}
	return out
}

// Now implements pxl.Source.
func (c *Cluster) Now() time.Time { return c.clock() }

// Window is how much telemetry the cluster keeps: the oldest data a query
// can see is this far before Now.
func (c *Cluster) Window() time.Duration { return time.Duration(c.window) * time.Second }

// Metadata implements pxl.Source.
func (c *Cluster) Metadata() *pxl.Metadata { return c.meta }

// Schema implements pxl.Source: the built-in tables, and those of running
// tracepoints.
func (c *Cluster) Schema(table string) (pxl.Relation, bool) {
	if rel, ok := c.builtinSchema(table); ok {
		return rel, true
	}
	if tp := c.runningTable(table); tp != nil {
		return tp.Relation, true
	}
	return nil, false
}

func (c *Cluster) builtinSchema(table string) (pxl.Relation, bool) {
	for i, name := range tableNames {
		if name == table {
			return relations[i], true
		}
	}
	return nil, false
}

// Scan implements pxl.Source: it generates telemetry up to now, then
// reads the requested rows.
func (c *Cluster) Scan(ctx context.Context, req pxl.ScanRequest) (*pxl.Table, error) {
	t := -1
	for i, name := range tableNames {
		if name == req.Table {
			t = i
		}
	}
	if t < 0 {
		if tp := c.runningTable(req.Table); tp != nil {
			return c.scanTracepoint(tp, req)
		}
		return nil, fmt.Errorf("demo: unknown table %q", req.Table)
	}
	rel := relations[t]
	idx := make([]int, len(req.Columns))
	for k, name := range req.Columns {
		idx[k] = rel.Index(name)
		if idx[k] < 0 {
			return nil, fmt.Errorf("demo: table %s has no column %q", req.Table, name)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.advance(c.clock())
	tcs := make([]*tchunk, 0, len(c.chunks))
	for _, ch := range c.chunks {
		tcs = append(tcs, ch.tabs[t])
	}
	c.mu.Unlock()
	vecs := scanChunks(tcs, rel, idx, req.Start, req.End, c.upids)
	out := &pxl.Table{Name: req.Table, Columns: make([]pxl.Column, len(idx))}
	for k, i := range idx {
		out.Columns[k] = pxl.NewColumn(rel[i], vecs[k])
	}
	return out, nil
}

// AddLoad adds extraRPS requests per second to service (name or
// namespace/name) for d from now, sent by the loadgen pod. Past a
// service's capacity its requests queue: latency grows steeply and, once
// the queue is full, requests fail fast with 503.
func (c *Cluster) AddLoad(service string, extraRPS float64, d time.Duration) error {
	s, ok := c.svcByName[service]
	if !ok || s.external || s.name == "loadgen" || len(s.endpoints) == 0 {
		return &LoadArgError{"service", fmt.Sprintf("demo: no service %q to load (services: %s)", service, strings.Join(c.loadable(), ", "))}
	}
	if !(extraRPS > 0) || extraRPS > MaxExtraRPS {
		return &LoadArgError{"rps", fmt.Sprintf("demo: extra load must be in (0, %d] requests per second, got %v", MaxExtraRPS, extraRPS)}
	}
	if d <= 0 {
		return &LoadArgError{"duration", fmt.Sprintf("demo: load duration must be positive, got %v", d)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	c.advance(now)
	l := load{svc: s, rps: extraRPS, from: now.UnixNano(), to: now.Add(d).UnixNano()}
	if len(c.loads) >= MaxLoads {
		return &LoadLimitError{fmt.Sprintf("demo: %d loads are still running (at most %d); wait for one to end", len(c.loads), MaxLoads),
			c.firstEnd(now, nil)}
	}
	if peak := c.peakRPS(l); peak+extraRPS > MaxExtraRPS {
		return &LoadLimitError{fmt.Sprintf("demo: %s already carries up to %g extra requests per second in that time; %g more would pass the demo's limit of %d per service",
			service, peak, extraRPS, MaxExtraRPS), c.firstEnd(now, s)}
	}
	c.loads = append(c.loads, l)
	return nil
}

// firstEnd is the time from now until the first stored load (on svc, or
// any when nil) ends. c.mu must be held.
func (c *Cluster) firstEnd(now time.Time, svc *service) time.Duration {
	first := int64(math.MaxInt64)
	for _, l := range c.loads {
		if svc == nil || l.svc == svc {
			first = min(first, l.to)
		}
	}
	return max(time.Duration(first-now.UnixNano()), 0)
}

// peakRPS is the highest extra load the stored loads put on n's service at
// any moment of n's interval. The sum only rises where a load starts, so
// n's start and the starts within it are the moments to check. c.mu must
// be held.
func (c *Cluster) peakRPS(n load) float64 {
	var peak float64
	for _, at := range c.loads {
		t := at.from
		if at.svc != n.svc || t >= n.to {
			continue
		}
		t = max(t, n.from)
		var sum float64
		for _, l := range c.loads {
			if l.svc == n.svc && l.from <= t && t < l.to {
				sum += l.rps
			}
		}
		peak = max(peak, sum)
	}
	return peak
}

func (c *Cluster) loadable() []string {
	var out []string
	for _, s := range c.svcs {
		if !s.external && s.name != "loadgen" && len(s.endpoints) > 0 {
			out = append(out, s.namespace+"/"+s.name)
		}
	}
	return out
}

// extraRPS is the added load on s during second sec.
func (c *Cluster) extraRPS(s *service, sec int64) float64 {
	lo, hi := sec*int64(time.Second), (sec+1)*int64(time.Second)
	var rps float64
	for _, l := range c.loads {
		if l.svc != s {
			continue
		}
		overlap := min(hi, l.to) - max(lo, l.from)
		if overlap > 0 {
			rps += l.rps * float64(overlap) / float64(time.Second)
		}
	}
	return rps
}

// MemoryBytes estimates the memory held by the stored telemetry.
func (c *Cluster) MemoryBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, ch := range c.chunks {
		for _, t := range ch.tabs {
			n += t.bytes()
		}
	}
	return n
}

// Rows returns the number of stored rows of a table.
func (c *Cluster) Rows(table string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ch := range c.chunks {
		for i, t := range ch.tabs {
			if t != nil && tableNames[i] == table {
				n += t.n
			}
		}
	}
	return n
}

// Advance generates telemetry up to the clock's now (Scan does it too).
func (c *Cluster) Advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(c.clock())
}

// advance generates every whole second before now and drops what left the
// window. c.mu must be held.
func (c *Cluster) advance(now time.Time) {
	nowSec := now.Unix() // seconds [.., nowSec) are complete
	first := nowSec - c.window
	if c.next == 0 {
		c.next = first
		c.initState(first)
	}
	if c.next < first {
		// Nothing was generated for a while: skip to the window's start.
		c.fastForward(first - c.next)
		c.next = first
	}
	for ; c.next < nowSec; c.next++ {
		ch := c.genSecond(c.next)
		c.chunks = append(c.chunks, ch)
		c.rows += ch.rows()
	}
	drop, rows := 0, c.rows
	for drop < len(c.chunks) && (c.chunks[drop].sec < first || rows > c.maxRows && drop < len(c.chunks)-1) {
		rows -= c.chunks[drop].rows()
		drop++
	}
	c.rows = rows
	if drop > 0 {
		c.chunks = append([]*chunk(nil), c.chunks[drop:]...)
	}
	keep := c.loads[:0]
	for _, l := range c.loads {
		if l.to > c.next*int64(time.Second) {
			keep = append(keep, l)
		}
	}
	c.loads = keep
}

// ClusterID is the demo cluster's id, as pxgate reports and queries it.
const ClusterID = "de3000c0-0000-4000-8000-000000000001"

// Tables implements pxl.Introspector: the tables the cluster serves,
// those of running tracepoints included.
func (c *Cluster) Tables() []string {
	out := append([]string(nil), tableNames[:]...)
	for _, tp := range c.Tracepoints() {
		if tp.State == "running" && !slices.Contains(out, tp.Tables[0]) {
			out = append(out, tp.Tables[0])
		}
	}
	return out
}

// Nodes implements pxl.Introspector: the cluster's nodes, up a day before
// its pods.
func (c *Cluster) Nodes() []pxl.NodeInfo {
	first := int64(math.MaxInt64)
	for _, p := range c.pods {
		first = min(first, p.info.StartTime)
	}
	out := make([]pxl.NodeInfo, len(nodeNames))
	for i, name := range nodeNames {
		out[i] = pxl.NodeInfo{Name: name, IP: nodeIPs[i], StartTime: first - int64(24*time.Hour)}
	}
	return out
}
