package handlers

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/tolerance"
)

// How a baseline is obtained. A check written relative to a baseline
// ("p99(latency_p99) < 1.5x baseline") compares the run's own value with
// the same aggregate over an earlier window of the same data, which pxgate
// asks Pixie for in a second query: the same script, function and
// arguments, with the start_time argument moved to the baseline window's
// start; of its rows, those whose time column (time_, else the table's only
// TIME64NS column) lies in [start, end) are the baseline's. Nothing is
// stored between requests, so every replica gives the same verdict for the
// same request. A run can be windowed when its window is an argument: a
// catalog script with a start_time parameter, or inline PxL called through
// func with args.start_time.

// MaxBaselineAge is how far back a baseline window may start outside demo
// mode: Pixie keeps recent telemetry only (its table store is bounded by
// memory, typically hours), so an older window would silently hold no or
// partial data. In demo mode the bound is the demo's own window.
const MaxBaselineAge = 24 * time.Hour

// startTimeArg is the argument that sets a run's window.
const startTimeArg = "start_time"

// baselinePlan is the baseline query of a run.
type baselinePlan struct {
	query      pixie.Request
	start, end time.Time
}

// clock is the time of the data: the demo cluster's clock in demo mode
// (tests move it), else the wall clock.
func (s *server) clock() time.Time {
	if c, ok := s.opts.Demo.(interface{ Now() time.Time }); ok {
		return c.Now()
	}
	return time.Now()
}

// retention is how far back a baseline window may start.
func (s *server) retention() (time.Duration, string) {
	if c, ok := s.opts.Demo.(interface{ Window() time.Duration }); ok {
		return c.Window(), "the demo cluster keeps " + c.Window().String() + " of telemetry"
	}
	return MaxBaselineAge, "pxgate accepts baselines up to " + MaxBaselineAge.String() + " old: Pixie keeps recent telemetry only"
}

// planBaseline checks a run's baseline window and builds its query, in a
// fixed order: a window exactly when a check needs one; its bounds (not
// empty, not reversed, not in the future, within retention); the run can
// be windowed; the window ends before the run's own starts. nil without a
// baseline.
//
// q is the run's own query (resolved): the baseline's is q with its
// start_time argument moved.
func (s *server) planBaseline(req *api.RunRequest, q *pixie.Request, set *tolerance.Set) (*baselinePlan, error) {
	switch {
	case req.Baseline == nil && set.HasBaseline():
		return nil, invalid(fieldError("baseline", "a check compares with a baseline, but no baseline window is given: add baseline=-10m..-1m to the query string, or \"baseline\": {\"start\": \"-10m\", \"end\": \"-1m\"} to the body"))
	case req.Baseline == nil:
		return nil, nil
	case !set.HasBaseline():
		return nil, invalid(fieldError("baseline", "a baseline window is given but no check compares with it: write a check such as \"p99(latency_p99) < 1.5x baseline\""))
	}
	now := s.clock()
	start, end, err := s.window(req.Baseline, now)
	if err != nil {
		return nil, invalid(err)
	}
	current, written, err := currentStart(req, q)
	if err != nil {
		return nil, invalid(err)
	}
	if cur := now.Add(current); end.After(cur) {
		return nil, invalid(fieldError("baseline.end", "baseline.end %s overlaps the run's own window, which starts at start_time=%s (%s): end the baseline at or before the run's start, e.g. baseline.end=%s",
			stamp(end), written, stamp(cur), relative(current)))
	}
	bq := *q
	fn := *q.Func
	fn.Args = slices.Clone(fn.Args)
	for i := range fn.Args {
		if fn.Args[i].Name == startTimeArg {
			fn.Args[i].Value = pixieStart(req.Baseline.Start, start, now)
		}
	}
	bq.Func = &fn
	return &baselinePlan{query: bq, start: start, end: end}, nil
}

// window resolves w's bounds against now and checks them.
func (s *server) window(w *api.Window, now time.Time) (start, end time.Time, err error) {
	if start, err = api.ParseBound("baseline.start", w.Start, now); err != nil {
		return
	}
	if end, err = api.ParseBound("baseline.end", w.End, now); err != nil {
		return
	}
	keep, why := s.retention()
	switch {
	case start.Equal(end):
		err = fieldError("baseline", "the baseline window %s..%s is empty (start and end are both %s): give it a length, e.g. -10m..-1m", w.Start, w.End, stamp(start))
	case start.After(end):
		err = fieldError("baseline", "the baseline window %s..%s is reversed: start %s is after end %s", w.Start, w.End, stamp(start), stamp(end))
	case end.After(now):
		err = fieldError("baseline.end", "baseline.end %s is in the future (now is %s): a baseline is past data", stamp(end), stamp(now))
	case start.Before(now.Add(-keep)):
		err = fieldError("baseline.start", "baseline.start %s is more than %s ago: %s", stamp(start), keep, why)
	}
	return
}

// currentStart is the start of the run's own window, relative to now (a
// negative duration), and its start_time argument as passed: the one the
// request gives, or the default of the function the run calls (q, the
// run's resolved query). An error when the run cannot be windowed.
func currentStart(req *api.RunRequest, q *pixie.Request) (d time.Duration, written string, err error) {
	_, given := req.Args[startTimeArg]
	switch {
	case req.Script != "" && req.Func == "":
		return 0, "", fieldError("baseline", "inline PxL without func cannot be windowed: its time window is written in the PxL. Define a function with a start_time parameter (as Pixie's own scripts do), call it with \"func\" and give \"args\": {\"start_time\": \"-2m\"}, or use a catalog script")
	case req.Script != "" && !given:
		return 0, "", fieldError("args.start_time", "a run compared with a baseline needs its window as args.start_time (e.g. \"-2m\"): the baseline query moves it to the baseline's start")
	}
	found := false
	if q.Func != nil {
		for _, a := range q.Func.Args {
			if a.Name == startTimeArg {
				written, found = a.Value, true
			}
		}
	}
	if !found {
		// resolve bound the arguments: a start_time given or defaulted is
		// among them, so the function the run calls has none.
		return 0, "", fieldError("baseline", "script %q cannot be windowed: it has no start_time parameter with a default, and the run gives none (pass start_time)", req.ScriptName)
	}
	d, ok := api.RelativeDuration(written)
	if !ok || d >= 0 {
		return 0, "", fieldError("args.start_time", "start_time %q: comparing with a baseline needs the run's window relative to now, such as \"-2m\"", written)
	}
	return d, written, nil
}

// pixieStart is the start_time the baseline query passes: the bound as
// written when it is relative, else whole seconds before now (rounded so
// that the query starts at or before the window).
func pixieStart(written string, start, now time.Time) string {
	if d, ok := api.RelativeDuration(written); ok && d < 0 {
		return written
	}
	return "-" + strconv.FormatInt(int64(math.Ceil(now.Sub(start).Seconds())), 10) + "s"
}

// stamp formats a time for messages.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// relative writes a negative duration as Pixie's relative time.
func relative(d time.Duration) string { return "-" + (-d).String() }

// runBaseline runs the baseline query within ctx and returns the sink
// that fed the tolerances the window's rows. A table with rows but no time
// column cannot be windowed: a 400.
func (s *server) runBaseline(ctx context.Context, p *runPlan, l *lease) (*verdictSink, *seriesSink, error) {
	feeder := newVerdictSink(p.set)
	feeder.hold = l.grow // nothing of the answer went out yet
	series := newSeriesSink(p.set)
	w := &windowSink{next: feeder, series: series, start: p.baseline.start.UnixNano(), end: p.baseline.end.UnixNano()}
	s.metrics.running.Inc()
	_, err := func() (pixie.Summary, error) {
		defer s.metrics.running.Dec()
		return s.opts.Pixie.Execute(ctx, p.baseline.query, w)
	}()
	if err != nil {
		return nil, nil, &runError{err: fmt.Errorf("the baseline window's query: %w", err), timeout: p.timeout, secrets: p.secrets}
	}
	if w.untimed != "" {
		return nil, nil, invalid(fieldError("baseline", "the script cannot be windowed: its table %q has no time column (time_ or a TIME64NS column), so its rows cannot be kept to the baseline window", w.untimed))
	}
	return feeder, series, nil
}

// windowSink passes on the rows whose time lies in [start, end) (ns).
type windowSink struct {
	next       *verdictSink
	series     *seriesSink // nil: none
	start, end int64
	untimed    string // a table with rows and no time column
}

// Table implements pixie.Sink.
func (w *windowSink) Table(meta *pixie.TableMeta) error { return w.next.Table(meta) }

// Batch implements pixie.Sink: it feeds the rows of the window.
func (w *windowSink) Batch(b *pixie.Batch) error {
	tc := timeColumn(b.Table)
	if tc < 0 {
		if b.NumRows > 0 && w.untimed == "" {
			w.untimed = b.Table.Name
		}
		return nil
	}
	times := b.Cols[tc].Int64
	var keep []int
	for i := range b.NumRows {
		if times[i] >= w.start && times[i] < w.end {
			keep = append(keep, i)
		}
	}
	if len(keep) != b.NumRows {
		b = selectRows(b, keep)
	}
	if w.series != nil {
		_ = w.series.Batch(b) // never fails
	}
	return w.next.Batch(b)
}

// selectRows copies rows keep of b into a new batch.
func selectRows(b *pixie.Batch, keep []int) *pixie.Batch {
	out := &pixie.Batch{Table: b.Table, NumRows: len(keep), Cols: make([]pixie.ColumnData, len(b.Cols)), EOS: b.EOS}
	for c, d := range b.Cols {
		o := &out.Cols[c]
		switch {
		case d.Bool != nil:
			o.Bool = pick(d.Bool, keep)
		case d.Int64 != nil:
			o.Int64 = pick(d.Int64, keep)
		case d.Float64 != nil:
			o.Float64 = pick(d.Float64, keep)
		case d.String != nil:
			o.String = pick(d.String, keep)
		case d.UInt128 != nil:
			o.UInt128 = pick(d.UInt128, keep)
		}
	}
	return out
}

// pick returns the elements keep of s.
func pick[T any](s []T, keep []int) []T {
	out := make([]T, len(keep))
	for i, k := range keep {
		out[i] = s[k]
	}
	return out
}

// timeColumn is the index of a table's time column: time_, else its only
// TIME64NS column; -1 when it has none.
func timeColumn(t *pixie.TableMeta) int {
	if i := t.ColumnIndex("time_"); i >= 0 && t.Columns[i].Type == pixie.TypeTime64NS {
		return i
	}
	found := -1
	for i, c := range t.Columns {
		if c.Type == pixie.TypeTime64NS {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}
