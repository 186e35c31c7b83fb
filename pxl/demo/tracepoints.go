package demo

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// Tracepoints (pxtrace): the cluster is a pxl.Tracer. A tracepoint
// upserted by a mutating script deploys for Options.DeployTime on the
// cluster's clock (PENDING, then RUNNING) and lives for its TTL from its
// last upsert. Its table is not stored: its rows are computed when scanned,
// from the seed, the tracepoint's name and the second, for the seconds since
// the tracepoint was first upserted (the demo's probes see calls while they
// attach, so the first ready answer has rows). Each target process makes a
// Poisson number of calls a second (mean 3).

// DefaultDeployTime is how long a tracepoint takes to deploy when
// Options.DeployTime is 0.
const DefaultDeployTime = 1500 * time.Millisecond

// tracepoint is a deployed (or deploying) tracepoint.
type tracepoint struct {
	pxl.Tracepoint
	id      pxl.U128
	created int64 // ns, first upsert
	expires int64 // ns
}

// tracepoints is the cluster's tracepoint registry.
type tracepoints struct {
	mu     sync.Mutex
	deploy int64 // ns
	byName map[string]*tracepoint
}

func (tp *tracepoint) running(now, deploy int64) bool { return now >= tp.created+deploy }

// Mutate implements pxl.Tracer. The script's deletes and upserts are
// applied to a copy of the registry, kept only when all of them are
// admitted: a refused script leaves the tracepoints as they were.
func (c *Cluster) Mutate(m pxl.Mutations) (*pxl.MutationResult, error) {
	now := c.clock().UnixNano()
	r := &c.tps
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	next := maps.Clone(r.byName)
	if next == nil {
		next = map[string]*tracepoint{}
	}
	for _, name := range m.Deletes {
		delete(next, name)
	}
	res := &pxl.MutationResult{Ready: true}
	for _, u := range m.Upserts {
		tp, err := c.upsert(next, u, now)
		if err != nil {
			return nil, err
		}
		st := pxl.MutationState{ID: uuidOf(tp.id), Name: tp.Name, State: pxl.StatePending}
		if tp.running(now, r.deploy) {
			st.State = pxl.StateRunning
		} else {
			res.Ready = false
			res.Message = "probe installation in progress"
		}
		res.States = append(res.States, st)
	}
	if len(next) > MaxTracepoints {
		return nil, fmt.Errorf("the demo runs at most %d tracepoints; delete some (pxtrace.DeleteTracepoint) or let their ttl run out", MaxTracepoints)
	}
	r.byName = next
	return res, nil
}

// Bounds of the demo's tracepoints: any caller may deploy them (with
// PXGATE_ALLOW_MUTATIONS), so their number and lifetime are bounded.
const (
	MaxTracepoints   = 64
	MaxTracepointTTL = 24 * time.Hour
)

// upsert adds a tracepoint to tps, or resets its TTL there (in a copy: the
// tracepoints of tps may be the registry's). r.mu is held.
func (c *Cluster) upsert(tps map[string]*tracepoint, u pxl.Tracepoint, now int64) (*tracepoint, error) {
	if u.TTL > MaxTracepointTTL {
		return nil, fmt.Errorf("tracepoint %q: ttl %s is longer than the demo keeps tracepoints (%s)", u.Name, u.TTL, MaxTracepointTTL)
	}
	if tp := tps[u.Name]; tp != nil {
		if tp.Program != u.Program || tp.Table != u.Table || tp.Target != u.Target {
			return nil, fmt.Errorf("tracepoint %q already exists with another program, table or target: delete it first", u.Name)
		}
		cp := *tp
		cp.expires = now + int64(u.TTL)
		tps[u.Name] = &cp
		return &cp, nil
	}
	if _, builtin := c.builtinSchema(u.Table); builtin {
		return nil, fmt.Errorf("tracepoint %q: table %q exists with another schema", u.Name, u.Table)
	}
	for _, tp := range tps {
		if tp.Table == u.Table && !tp.Relation.SameColumns(u.Relation) {
			return nil, fmt.Errorf("tracepoint %q: table %q exists with another schema (tracepoint %q)", u.Name, u.Table, tp.Name)
		}
	}
	h := fnv.New128a()
	_, _ = h.Write([]byte(u.Name))
	sum := h.Sum(nil)
	tp := &tracepoint{Tracepoint: u, created: now, expires: now + int64(u.TTL),
		id: pxl.U128{High: binary.BigEndian.Uint64(sum[:8]), Low: binary.BigEndian.Uint64(sum[8:])}}
	tps[u.Name] = tp
	return tp, nil
}

// expire drops tracepoints past their TTL. r.mu is held.
func (r *tracepoints) expire(now int64) {
	for name, tp := range r.byName {
		if now > tp.expires {
			delete(r.byName, name)
		}
	}
}

// runningTable returns a running tracepoint writing table, or nil.
func (c *Cluster) runningTable(table string) *tracepoint {
	now := c.clock().UnixNano()
	r := &c.tps
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	for _, tp := range r.byName {
		if tp.Table == table && tp.running(now, r.deploy) {
			cp := *tp
			return &cp
		}
	}
	return nil
}

// Tracepoints implements pxl.Introspector: the tracepoints deployed or
// deploying, by name, with GetTracepointStatus's state names.
func (c *Cluster) Tracepoints() []pxl.TracepointInfo {
	now := c.clock().UnixNano()
	r := &c.tps
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	var out []pxl.TracepointInfo
	for _, tp := range r.byName {
		state := "pending"
		if tp.running(now, r.deploy) {
			state = "running"
		}
		out = append(out, pxl.TracepointInfo{ID: tp.id, Name: tp.Name, State: state, Tables: []string{tp.Table}})
	}
	slices.SortFunc(out, func(a, b pxl.TracepointInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// targets are the processes a tracepoint traces.
func (c *Cluster) targets(t pxl.TraceTarget) []*pod {
	var out []*pod
	for _, p := range c.pods {
		ok := false
		switch t.Kind {
		case "pod":
			ok = strings.HasPrefix(p.info.QualifiedName(), t.Pod)
		case "namespace":
			ok = p.info.Namespace == t.Namespace
		case "upid":
			ok = p.upid.String() == t.UPID || uuidOf(p.upid) == t.UPID
		default: // kprobe: every process
			ok = true
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// scanTracepoint computes the rows of a running tracepoint's table in
// [start, end), up to the clock's now.
func (c *Cluster) scanTracepoint(tp *tracepoint, req pxl.ScanRequest) (*pxl.Table, error) {
	idx := make([]int, len(req.Columns))
	for k, name := range req.Columns {
		if idx[k] = tp.Relation.Index(name); idx[k] < 0 {
			return nil, fmt.Errorf("demo: table %s has no column %q", req.Table, name)
		}
	}
	now := c.clock().UnixNano()
	from := max(req.Start, tp.created, now-c.window*int64(time.Second))
	to := min(req.End, now)
	vecs := make([]pxl.Vector, len(tp.Relation))
	pods := c.targets(tp.Target)
	h := fnv.New64a()
	_, _ = h.Write([]byte(tp.Name))
	for sec := from / 1e9; sec*1e9 < to && len(pods) > 0; sec++ {
		r := rand.New(rand.NewPCG(c.seed^h.Sum64(), uint64(sec)))
		for _, p := range pods {
			for range poisson(r, 3) {
				t := sec*1e9 + r.Int64N(1e9)
				if t < from || t >= to {
					continue
				}
				appendTraceRow(vecs, tp.Relation, r, p, t)
			}
		}
	}
	out := &pxl.Table{Name: req.Table, Columns: make([]pxl.Column, len(idx))}
	for k, i := range idx {
		out.Columns[k] = pxl.NewColumn(tp.Relation[i], vecs[i])
	}
	return out, nil
}

// appendTraceRow adds one traced call of process p at time t.
func appendTraceRow(vecs []pxl.Vector, rel pxl.Relation, r *rand.Rand, p *pod, t int64) {
	for i, col := range rel {
		v := &vecs[i]
		switch {
		case col.Type == pxl.UInt128:
			v.U128s = append(v.U128s, p.upid)
		case col.Type == pxl.Time64:
			v.Ints = append(v.Ints, t)
		case col.Type == pxl.String:
			v.Strs = append(v.Strs, fmt.Sprintf("%s-%d", col.Name, r.IntN(8)))
		case col.Semantic == pxl.STDurationNS: // FunctionLatency: ~2 ms, log-normal
			v.Ints = append(v.Ints, int64(2e6*math.Exp(0.6*r.NormFloat64())))
		case strings.HasSuffix(col.Name, "pid"):
			v.Ints = append(v.Ints, p.upid.PID())
		default:
			v.Ints = append(v.Ints, r.Int64N(1000))
		}
	}
}

// uuidOf formats a 128-bit id as a dashed UUID string.
func uuidOf(u pxl.U128) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", u.High>>32, u.High>>16&0xffff, u.High&0xffff, u.Low>>48, u.Low&0xffffffffffff)
}
