package handlers

import (
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/tolerance"
)

// maxChartedChecks bounds the checks of a run whose series the history
// keeps (with history.MaxSeriesPoints points per window, a run's series
// stay under 40 KiB).
const maxChartedChecks = 8

// seriesSink records, for each check of a set, its column over the rows'
// time column: what the run's charts draw. It keeps a bounded number of
// points per table (downsampling as rows come) and never fails the query.
type seriesSink struct {
	targets []tolerance.Target
	// recs[i] maps a table's name to check i's points in it.
	recs []map[string]*seriesRec
}

// seriesRec is one check's points in one table.
type seriesRec struct {
	points      []history.Point
	stride      int // keep one point in stride (after downsampling)
	skipped     int
	downsampled bool
	duration    bool // the column is a nanosecond duration
}

// newSeriesSink records the series of set's checks; nil without checks.
func newSeriesSink(set *tolerance.Set) *seriesSink {
	if set == nil || set.Len() == 0 {
		return nil
	}
	s := &seriesSink{}
	for i := range min(set.Len(), maxChartedChecks) {
		s.targets = append(s.targets, set.Target(i))
		s.recs = append(s.recs, map[string]*seriesRec{})
	}
	return s
}

// Table implements pixie.Sink.
func (s *seriesSink) Table(*pixie.TableMeta) error { return nil }

// Batch implements pixie.Sink.
func (s *seriesSink) Batch(b *pixie.Batch) error {
	meta := b.Table
	if b.NumRows == 0 {
		return nil
	}
	tc := timeColumn(meta)
	if tc < 0 {
		return nil
	}
	for i, t := range s.targets {
		ci := meta.ColumnIndex(t.Column)
		if t.Column == "" || ci < 0 || (t.Table != "" && t.Table != meta.Name) {
			continue
		}
		rec := s.recs[i][meta.Name]
		if rec == nil && len(s.recs[i]) == 4 {
			continue // a few tables are enough to find the checked one
		}
		if rec == nil {
			rec = &seriesRec{stride: 1, duration: meta.Columns[ci].SemanticType == pixie.STDurationNS}
			s.recs[i][meta.Name] = rec
		}
		if len(rec.points) == 0 {
			// Room for the points at once rather than appends doubling it
			// (at most MaxSeriesPoints of 16 bytes).
			rec.points = make([]history.Point, 0, min(b.NumRows, history.MaxSeriesPoints))
		}
		col := columnView{data: &b.Cols[ci], typ: meta.Columns[ci].Type}
		for r := range b.NumRows {
			if v, ok := col.Number(r); ok {
				rec.add(history.Point{T: b.Cols[tc].Int64[r], V: v / t.Div})
			}
		}
	}
	return nil
}

// add keeps p, downsampling when the series is full: neighbours are
// merged into the larger (a latency's or an error rate's worst), and from
// then on one point in stride is kept.
func (r *seriesRec) add(p history.Point) {
	if r.skipped++; r.skipped < r.stride {
		if n := len(r.points); n > 0 && p.V > r.points[n-1].V {
			r.points[n-1].V = p.V
		}
		return
	}
	r.skipped = 0
	if len(r.points) < history.MaxSeriesPoints {
		r.points = append(r.points, p)
		return
	}
	kept := r.points[:0]
	for i := 0; i+1 < len(r.points); i += 2 {
		a, b := r.points[i], r.points[i+1]
		a.V = max(a.V, b.V)
		kept = append(kept, a)
	}
	r.points, r.stride, r.downsampled = append(kept, p), r.stride*2, true
}

// series returns check i's points in the table it reads (its own, else
// "output", else the only one); nil when there are none.
func (s *seriesSink) series(i int) *seriesRec {
	if s == nil || i >= len(s.recs) {
		return nil
	}
	m := s.recs[i]
	if r, ok := m[s.targets[i].Table]; ok {
		return r
	}
	if r, ok := m["output"]; ok {
		return r
	}
	if len(m) == 1 {
		for _, r := range m {
			return r
		}
	}
	return nil
}

// historySeries is check i's series for the history; nil when there is
// nothing to draw.
func historySeries(p *runPlan, o ran, i int, unit string) *history.Series {
	cur, base := o.series.series(i), o.baseSeries.series(i)
	if cur == nil && base == nil {
		return nil
	}
	t := p.set.Target(i)
	hs := &history.Series{Column: t.Column, Unit: unit, Compare: t.Compare, Scale: 1}
	for _, r := range []*seriesRec{cur, base} {
		if r == nil {
			continue
		}
		hs.Downsampled = hs.Downsampled || r.downsampled
		if r.duration && unit == "" {
			hs.Unit, hs.Scale = "ms", 1e-6 // nanoseconds read as milliseconds
		}
	}
	if cur != nil {
		hs.Points = scaled(cur.points, hs.Scale)
	}
	if base != nil {
		hs.Baseline = scaled(base.points, hs.Scale)
	}
	if p.baseline != nil {
		hs.BaselineStart, hs.BaselineEnd = p.baseline.start, p.baseline.end
	}
	return hs
}

// scaled multiplies the values of points by k and returns them (never
// nil). It scales in place, without a copy: the run is over, and its
// series are handed to the history (each check's to its own entry).
func scaled(ps []history.Point, k float64) []history.Point {
	if ps == nil {
		return []history.Point{}
	}
	if k != 1 {
		for i := range ps {
			ps[i].V *= k
		}
	}
	return ps
}
