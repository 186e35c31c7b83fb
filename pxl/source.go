package pxl

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"time"
)

// Source is what the engine reads: tables of telemetry with a time_
// column, Kubernetes metadata for ctx[...] lookups and a clock. The demo
// cluster (package pxl/demo) is one; MemSource is a fixed one for tests.
// Implementations must be safe for concurrent use.
type Source interface {
	// Now is the current time of the source: px.now() and relative start
	// times ("-2m") are computed from the value read once per query.
	Now() time.Time
	// Schema returns the relation of a table, and false for an unknown one.
	Schema(table string) (Relation, bool)
	// Scan returns the named columns (in that order) of the rows of table
	// whose time_ is in [start, end) (nanoseconds since the epoch). The
	// result is read only; it may share memory with the source.
	Scan(ctx context.Context, req ScanRequest) (*Table, error)
	// Metadata returns the Kubernetes metadata (immutable snapshot).
	Metadata() *Metadata
}

// ScanRequest asks a Source for rows of one table.
type ScanRequest struct {
	Table      string
	Columns    []string
	Start, End int64
}

// Process is what the metadata knows about one UPID.
type Process struct {
	UPID          U128
	Cmdline       string
	PodID         string // the pod's UID
	ContainerName string
	ContainerID   string
}

// Pod is one Kubernetes pod.
type Pod struct {
	ID        string   // UID
	Name      string   // short name, e.g. consumer-7d9f8b6c4-x2k9p
	Namespace string   // e.g. default
	Node      string   // node name
	IP        string   // pod IP
	Services  []string // short service names (usually one)
	StartTime int64    // ns since the epoch
}

// QualifiedName returns namespace/name, as ctx['pod'] shows a pod.
func (p *Pod) QualifiedName() string { return p.Namespace + "/" + p.Name }

// ServiceName returns the pod's service(s) as ctx['service'] shows them:
// "namespace/name", or a JSON list of such names when there are several,
// or "" when there is none.
func (p *Pod) ServiceName() string {
	switch len(p.Services) {
	case 0:
		return ""
	case 1:
		return p.Namespace + "/" + p.Services[0]
	}
	names := make([]string, len(p.Services))
	for i, s := range p.Services {
		names[i] = p.Namespace + "/" + s
	}
	b, _ := json.Marshal(names)
	return string(b)
}

// Metadata is an immutable snapshot of the cluster's Kubernetes metadata.
// Build it with NewMetadata.
type Metadata struct {
	processes   map[U128]*Process
	pods        map[string]*Pod // by UID
	podByName   map[string]*Pod // by namespace/name
	podByIP     map[string]*Pod
	serviceByID map[string]string // service id -> namespace/name
}

// NewMetadata indexes pods and processes. Processes whose PodID names no
// pod resolve to empty strings, as unknown UPIDs do.
func NewMetadata(pods []*Pod, procs []*Process) *Metadata {
	m := &Metadata{
		processes: make(map[U128]*Process, len(procs)),
		pods:      make(map[string]*Pod, len(pods)),
		podByName: make(map[string]*Pod, len(pods)),
		podByIP:   make(map[string]*Pod, len(pods)),

		serviceByID: make(map[string]string),
	}
	for _, p := range pods {
		m.pods[p.ID] = p
		m.podByName[p.QualifiedName()] = p
		if p.IP != "" {
			m.podByIP[p.IP] = p
		}
		for _, s := range p.Services {
			name := p.Namespace + "/" + s
			m.serviceByID[ServiceID(name)] = name
		}
	}
	for _, p := range procs {
		m.processes[p.UPID] = p
	}
	return m
}

// ServiceID returns the id the metadata gives the service namespace/name
// (a UUID-like string derived from the name).
func ServiceID(qualifiedName string) string {
	h := fnv.New128a()
	h.Write([]byte(qualifiedName))
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ServiceName returns the namespace/name of a service id, or "".
func (m *Metadata) ServiceName(id string) string {
	if m == nil {
		return ""
	}
	return m.serviceByID[id]
}

// Process returns the process of a UPID, or nil.
func (m *Metadata) Process(u U128) *Process {
	if m == nil {
		return nil
	}
	return m.processes[u]
}

// Pod returns the pod with a UID, or nil.
func (m *Metadata) Pod(id string) *Pod {
	if m == nil {
		return nil
	}
	return m.pods[id]
}

// PodByName returns the pod named namespace/name, or nil.
func (m *Metadata) PodByName(name string) *Pod {
	if m == nil {
		return nil
	}
	return m.podByName[name]
}

// PodByIP returns the pod with an IP, or nil.
func (m *Metadata) PodByIP(ip string) *Pod {
	if m == nil {
		return nil
	}
	return m.podByIP[ip]
}

// Pods returns all pods sorted by qualified name.
func (m *Metadata) Pods() []*Pod {
	out := make([]*Pod, 0, len(m.pods))
	for _, p := range m.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QualifiedName() < out[j].QualifiedName() })
	return out
}

// Processes returns all processes sorted by UPID.
func (m *Metadata) Processes() []*Process {
	out := make([]*Process, 0, len(m.processes))
	for _, p := range m.processes {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].UPID, out[j].UPID
		return a.High < b.High || a.High == b.High && a.Low < b.Low
	})
	return out
}

// podOfUPID returns the pod a UPID runs in, or nil.
func (m *Metadata) podOfUPID(u U128) *Pod {
	p := m.Process(u)
	if p == nil {
		return nil
	}
	return m.Pod(p.PodID)
}

// MemSource is a Source over fixed in-memory tables, for tests and
// benchmarks. Set its fields before use; it is then read only.
type MemSource struct {
	// Clock is the source's now; zero means time.Now().
	Clock time.Time
	// Tables are the tables, by name; each needs a TIME64NS time_ column
	// for time ranges (tables without one are returned whole).
	Tables map[string]*Table
	// Meta is the metadata (may be nil: every lookup is empty).
	Meta *Metadata

	once    sync.Once
	ordered map[string]bool // tables whose time_ is sorted
}

// Now implements Source.
func (s *MemSource) Now() time.Time {
	if s.Clock.IsZero() {
		return time.Now()
	}
	return s.Clock
}

// Schema implements Source.
func (s *MemSource) Schema(table string) (Relation, bool) {
	t, ok := s.Tables[table]
	if !ok {
		return nil, false
	}
	return t.Relation(), true
}

// Metadata implements Source.
func (s *MemSource) Metadata() *Metadata { return s.Meta }

// Scan implements Source.
func (s *MemSource) Scan(_ context.Context, req ScanRequest) (*Table, error) {
	s.once.Do(func() {
		s.ordered = make(map[string]bool)
		for name, t := range s.Tables {
			tc := t.Column("time_")
			s.ordered[name] = tc != nil && sort.SliceIsSorted(tc.Ints, func(i, j int) bool { return tc.Ints[i] < tc.Ints[j] })
		}
	})
	t, ok := s.Tables[req.Table]
	if !ok {
		return nil, fmt.Errorf("table %q not found", req.Table)
	}
	var idx []int32
	lo, hi := 0, t.NumRows()
	if tc := t.Column("time_"); tc != nil && tc.Type == Time64 {
		if s.ordered[req.Table] {
			lo = sort.Search(len(tc.Ints), func(i int) bool { return tc.Ints[i] >= req.Start })
			hi = sort.Search(len(tc.Ints), func(i int) bool { return tc.Ints[i] >= req.End })
			hi = max(hi, lo)
		} else {
			idx = make([]int32, 0, len(tc.Ints))
			for i, ts := range tc.Ints {
				if ts >= req.Start && ts < req.End {
					idx = append(idx, int32(i))
				}
			}
		}
	}
	out := &Table{Name: t.Name}
	for _, name := range req.Columns {
		c := t.Column(name)
		if c == nil {
			return nil, fmt.Errorf("table %q has no column %q", req.Table, name)
		}
		nc := *c
		if idx != nil {
			nc.Vector = c.gather(idx)
		} else {
			nc.Vector = c.slice(lo, hi)
		}
		out.Columns = append(out.Columns, nc)
	}
	return out, nil
}
