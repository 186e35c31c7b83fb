// Package history keeps a bounded, in-memory record of the gateway's recent
// runs, so that someone looking at a failed steady state can see why it
// failed without searching logs: which script ran with which arguments,
// each check's value, threshold and message, row counts and the error.
//
// Failures are kept preferentially: a History holds the last N runs and,
// separately, the last N failed runs, so a burst of passing probes cannot
// push the one failure that matters out of view. Entries never hold PxL
// source, request headers or other secrets; what goes in is decided by the
// caller (package handlers), which records a hash and size for inline PxL.
//
// A History lives in one process: replicas behind a Service each keep their
// own, and ids name the process that made them.
package history

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultSize is the number of runs (and, separately, failed runs) a
// History keeps when New is given no size.
const DefaultSize = 200

// Outcomes of a run.
const (
	OutcomePass  = "pass"  // the query ran and every check passed (or there were none)
	OutcomeFail  = "fail"  // the query ran and a check failed
	OutcomeError = "error" // the query could not run or did not finish
)

// Run is one recorded run. Its fields are read-only once recorded: List
// and Get hand out values that share the slices and map with the History.
type Run struct {
	// ID names the run within this process; assigned by Add.
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Route is the method and route pattern that served the run, such as
	// "GET /v1/scripts/{name}/run" or "GET /probe".
	Route string `json:"route"`
	// Format is json, csv, ndjson or prometheus (/probe).
	Format string `json:"format"`
	// Script is the catalog name, or "inline" for inline PxL.
	Script string `json:"script"`
	// ScriptBytes and ScriptSHA256 identify inline PxL without keeping it:
	// its size and the first 12 hex digits of its SHA-256.
	ScriptBytes  int    `json:"script_bytes,omitempty"`
	ScriptSHA256 string `json:"script_sha256,omitempty"`
	// Func is the function a run named with func, if any.
	Func      string            `json:"func,omitempty"`
	Args      map[string]string `json:"args,omitempty"`
	ClusterID string            `json:"cluster_id,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	QueryID   string            `json:"query_id,omitempty"`
	// Status is the HTTP status answered (200 for /probe and for streams
	// that had started, their end saying any failure; but 499 when the
	// caller left, and 500 when pxgate failed and aborted the answer,
	// after the 200 went out, as in the log line and the metrics).
	Status  int    `json:"status"`
	Outcome string `json:"outcome"`
	// Verdict is nil when the query did not complete (Error is set).
	Verdict    *Verdict     `json:"verdict,omitempty"`
	DurationMS float64      `json:"duration_ms"`
	Tables     []TableCount `json:"tables"`
	Error      *Error       `json:"error,omitempty"`

	seq uint64
}

// Failed reports whether the run did not pass: a failed check or an error.
func (r Run) Failed() bool { return r.Outcome != OutcomePass }

// Verdict is a run's verdict.
type Verdict struct {
	Passed bool    `json:"passed"`
	Checks []Check `json:"checks"`
}

// Check is the outcome of one check.
type Check struct {
	Name   string   `json:"name"`
	Passed bool     `json:"passed"`
	Value  *float64 `json:"value"`
	// Threshold is a number, or [lo, hi] for a between check.
	Threshold     any    `json:"threshold"`
	Unit          string `json:"unit,omitempty"`
	RowsEvaluated int    `json:"rows_evaluated"`
	Message       string `json:"message"`
	// Baseline, Ratio and BaselineRows are set for checks relative to a
	// baseline window: the aggregate over that window, Value/Baseline,
	// and the window's rows evaluated.
	Baseline     *float64 `json:"baseline,omitempty"`
	Ratio        *float64 `json:"ratio,omitempty"`
	BaselineRows *int     `json:"baseline_rows,omitempty"`
	// Series is the checked column over time, for the run's charts; nil
	// when the check has no column or its table no time column. Not part
	// of the JSON answers.
	Series *Series `json:"-"`
}

// Series is a check's column over time, bounded: at most MaxSeriesPoints
// points per window, downsampled by keeping the larger of two neighbours.
type Series struct {
	// Column is the checked column; Unit the unit of the values (the
	// check's, or "ms" for a duration column checked without one).
	Column, Unit string
	// Compare is the check's comparison (tolerance.Target's Compare).
	Compare string
	// Scale turns the check's values (and threshold) into the series'.
	Scale float64
	// Points are the run's own rows; Baseline the baseline window's.
	Points, Baseline []Point
	// BaselineStart, BaselineEnd bound the baseline window (zero: none).
	BaselineStart, BaselineEnd time.Time
	// Downsampled says points were dropped to stay within the bound.
	Downsampled bool
}

// MaxSeriesPoints bounds the points a Series keeps per window.
const MaxSeriesPoints = 150

// Point is a value at a time (nanoseconds since the epoch).
type Point struct {
	T int64
	V float64
}

// TableCount is the number of rows a result table had.
type TableCount struct {
	Name string `json:"name"`
	Rows int    `json:"rows"`
}

// Error says why a run did not complete: a problem type of the API and its
// detail.
type Error struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
}

// History is a bounded record of recent runs. It is safe for concurrent
// use. The zero value is not usable; call New.
type History struct {
	prefix string

	mu     sync.Mutex
	seq    uint64
	recent ring
	failed ring
}

// New returns a History keeping the last size runs and the last size failed
// runs (so at most 2*size entries); size <= 0 means DefaultSize.
func New(size int) *History {
	if size <= 0 {
		size = DefaultSize
	}
	return &History{
		prefix: instancePrefix(),
		recent: ring{buf: make([]Run, size)},
		failed: ring{buf: make([]Run, size)},
	}
}

// instancePrefix tells this process's ids from another replica's (or an
// earlier run's), so that an id never names the wrong run.
func instancePrefix() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Add records r, assigning its ID, and returns it as recorded. It copies
// r's map and slices, so the caller keeps ownership of its own.
func (h *History) Add(r Run) Run {
	r.Args = maps.Clone(r.Args)
	r.Tables = slices.Clone(r.Tables)
	if r.Verdict != nil {
		v := *r.Verdict
		v.Checks = slices.Clone(v.Checks)
		r.Verdict = &v
	}
	if r.Error != nil {
		e := *r.Error
		r.Error = &e
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	r.seq = h.seq
	r.ID = h.prefix + "-" + strconv.FormatUint(h.seq, 10)
	h.recent.push(r)
	if r.Failed() {
		h.failed.push(r)
	}
	return r
}

// List returns the recorded runs, newest first: the recent ones and the
// preserved failures, each once. With failedOnly, only runs that did not
// pass.
func (h *History) List(failedOnly bool) []Run {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Run, 0, h.recent.n+h.failed.n)
	seen := make(map[uint64]bool, h.failed.n)
	h.failed.each(func(r Run) {
		seen[r.seq] = true
		out = append(out, r)
	})
	if !failedOnly {
		h.recent.each(func(r Run) {
			if !seen[r.seq] {
				out = append(out, r)
			}
		})
	}
	slices.SortFunc(out, func(a, b Run) int {
		switch {
		case a.seq > b.seq:
			return -1
		case a.seq < b.seq:
			return 1
		}
		return 0
	})
	return out
}

// Get returns the run with the given id, if it is still recorded.
func (h *History) Get(id string) (Run, bool) {
	if !strings.HasPrefix(id, h.prefix+"-") {
		return Run{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var found Run
	ok := false
	match := func(r Run) {
		if !ok && r.ID == id {
			found, ok = r, true
		}
	}
	h.failed.each(match)
	h.recent.each(match)
	return found, ok
}

// ring is a fixed-capacity buffer of runs that overwrites its oldest entry.
type ring struct {
	buf  []Run
	next int // where the next push goes
	n    int // entries held
}

func (r *ring) push(run Run) {
	r.buf[r.next] = run
	r.next = (r.next + 1) % len(r.buf)
	r.n = min(r.n+1, len(r.buf))
}

// each calls f on the entries held, in no particular order.
func (r *ring) each(f func(Run)) {
	for i := range r.n {
		f(r.buf[i])
	}
}
