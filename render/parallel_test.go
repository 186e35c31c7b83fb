package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/tolerance"
)

// mixedBatch is a table of every column type, rows rows, with values that
// stress each encoder: times crossing days, escapes, invalid UTF-8,
// formula-like text, NaN and ±Inf.
func mixedBatch(rows int) *pixie.Batch {
	meta := &pixie.TableMeta{ID: "t1", Name: "output", Columns: []pixie.ColumnInfo{
		{Name: "time_", Type: pixie.TypeTime64NS}, {Name: "n", Type: pixie.TypeInt64},
		{Name: "f", Type: pixie.TypeFloat64}, {Name: "ok", Type: pixie.TypeBoolean},
		{Name: "s", Type: pixie.TypeString}, {Name: "upid", Type: pixie.TypeUInt128},
	}}
	cols := make([]pixie.ColumnData, len(meta.Columns))
	start := time.Date(2026, 1, 2, 23, 59, 0, 0, time.UTC).UnixNano()
	texts := []string{"plain", `a "quoted", value`, "line\nbreak", "=cmd|x", "bad\xffutf8", "é ✓", " lead"}
	floats := []float64{1.2e-9, 0.01, 152.337, math.NaN(), math.Inf(1), math.Copysign(0, -1), 1e21}
	for i := range rows {
		cols[0].Int64 = append(cols[0].Int64, start+int64(i)*int64(37*time.Millisecond))
		cols[1].Int64 = append(cols[1].Int64, int64(i*7919-rows))
		cols[2].Float64 = append(cols[2].Float64, floats[i%len(floats)]*float64(i+1))
		cols[3].Bool = append(cols[3].Bool, i%3 == 0)
		cols[4].String = append(cols[4].String, []byte(fmt.Sprintf("%s %d", texts[i%len(texts)], i)))
		cols[5].UInt128 = append(cols[5].UInt128, pixie.UInt128{High: uint64(i) << 32, Low: ^uint64(i)})
	}
	return &pixie.Batch{Table: meta, NumRows: rows, Cols: cols, EOS: true}
}

// sliceBatch is rows [from, to) of b, the end of the table when to is b's.
func sliceBatch(b *pixie.Batch, from, to int) *pixie.Batch {
	cols := make([]pixie.ColumnData, len(b.Cols))
	for i, c := range b.Cols {
		switch {
		case c.Int64 != nil:
			cols[i].Int64 = c.Int64[from:to]
		case c.Float64 != nil:
			cols[i].Float64 = c.Float64[from:to]
		case c.Bool != nil:
			cols[i].Bool = c.Bool[from:to]
		case c.String != nil:
			cols[i].String = c.String[from:to]
		default:
			cols[i].UInt128 = c.UInt128[from:to]
		}
	}
	return &pixie.Batch{Table: b.Table, NumRows: to - from, Cols: cols, EOS: b.EOS && to == b.NumRows}
}

// encodeWith answers batch, cut into batches, in format on the given
// number of cores.
func encodeWith(t *testing.T, format string, n int, batch *pixie.Batch) []byte {
	t.Helper()
	saved := cores
	cores = func() int { return n }
	defer func() { cores = saved }()
	w := httptest.NewRecorder()
	var sink interface {
		pixie.Sink
		Finish(*StreamEnd) error
	}
	switch format {
	case "json":
		sink = NewJSON(w, nil, 0)
	case "ndjson":
		sink = NewNDJSON(w, nil, 0)
	default:
		sink = NewCSV(w, "", false, 0)
	}
	if err := sink.Table(batch.Table); err != nil {
		t.Fatal(err)
	}
	// Batches of uneven sizes: large ones (jobs), small ones between them
	// (in place, after the jobs before them), the last one ending the table.
	for from, k := 0, 0; from < batch.NumRows; k++ {
		to := min(batch.NumRows, from+[]int{3*chunkRows + 17, 10, chunkRows + 1, 2 * chunkRows}[k%4])
		if err := sink.Batch(sliceBatch(batch, from, to)); err != nil {
			t.Fatal(err)
		}
		from = to
	}
	if err := sink.Finish(&StreamEnd{StreamEnd: api.StreamEnd{Verdict: &tolerance.Verdict{Passed: true}}, Status: 200}); err != nil {
		t.Fatal(err)
	}
	return w.Body.Bytes()
}

// TestJobsWriteWhatOneCoreWrites: batches encoded as jobs on several
// cores, some in flight while small ones are encoded in place, are byte
// for byte the answer one core writes, in every format.
func TestJobsWriteWhatOneCoreWrites(t *testing.T) {
	for _, rows := range []int{jobValues/6 - 1, 4099, chunkRows*13 + 333} {
		batch := mixedBatch(rows)
		for _, format := range []string{"json", "ndjson", "csv"} {
			t.Run(fmt.Sprintf("%s/%d", format, rows), func(t *testing.T) {
				one := encodeWith(t, format, 1, batch)
				for _, n := range []int{2, 3, 4, 64, -2} {
					taken := int64(0)
					if n < 0 {
						// Two cores, three of the four places for jobs
						// taken (by other answers): jobs and chunks in
						// place mix.
						taken, n = 3, -n
					}
					jobsRunning.Add(taken)
					got := encodeWith(t, format, n, batch)
					jobsRunning.Add(-taken)
					if !bytes.Equal(got, one) {
						i := 0
						for i < min(len(got), len(one)) && got[i] == one[i] {
							i++
						}
						t.Fatalf("%d cores: %d bytes, one core %d; first difference at %d: %q vs %q", n, len(got), len(one), i,
							got[max(0, i-40):min(len(got), i+40)], one[max(0, i-40):min(len(one), i+40)])
					}
				}
				lines := strings.Count(string(one), "\n")
				switch format {
				case "json":
					var doc api.RunResponse
					if err := json.Unmarshal(one, &doc); err != nil {
						t.Fatalf("not a JSON answer: %v", err)
					}
					if len(doc.Tables) != 1 || len(doc.Tables[0].Rows) != rows {
						t.Fatalf("got %d tables, want 1 of %d rows", len(doc.Tables), rows)
					}
				case "ndjson":
					if lines != rows+1 {
						t.Fatalf("got %d lines, want %d rows and the end", lines, rows+1)
					}
				}
			})
		}
	}
}

// TestJobPanicReachesTheCaller: a panic while encoding a job on another
// goroutine is raised on the request's, where its recovery is.
func TestJobPanicReachesTheCaller(t *testing.T) {
	var buf []byte
	p := pipeline{buf: &buf, spill: func() error { return nil }}
	if err := p.submit(func([]byte, *rowState) []byte { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "boom") {
			t.Fatalf("recovered %v, want the job's panic", r)
		}
	}()
	_ = p.drain()
}

// TestWideRowsHoldLittle: a batch of wide rows (8 KiB of text each) is
// cut into jobs and steps by bytes, not rows: what an answer holds while
// it encodes stays within its lease (handlers leases 2 MiB), on one core
// or several.
func TestWideRowsHoldLittle(t *testing.T) {
	meta := &pixie.TableMeta{ID: "t", Name: "output", Columns: []pixie.ColumnInfo{{Name: "s", Type: pixie.TypeString}}}
	wide := bytes.Repeat([]byte("x"), 8<<10)
	col := pixie.ColumnData{String: make([][]byte, 4096)}
	for i := range col.String {
		col.String[i] = wide
	}
	b := &pixie.Batch{Table: meta, NumRows: len(col.String), Cols: []pixie.ColumnData{col}}
	for _, n := range []int{1, 2, 4} {
		saved := cores
		cores = func() int { return n }
		s := NewNDJSON(httptest.NewRecorder(), nil, 0)
		if err := s.Table(meta); err != nil {
			t.Fatal(err)
		}
		if err := s.Batch(b); err != nil {
			t.Fatal(err)
		}
		held := cap(s.buf)
		for _, j := range s.pipe.queue {
			<-j.done
			held += cap(*j.out)
		}
		cores = saved
		if held > 2<<20 {
			t.Errorf("%d cores: %d KiB held", n, held>>10)
		}
	}
}

// TestWholeLeasesHeldRowsOnce: a Whole answer leases the rows of a table
// held while another streams (Hold) once: when they join the answer after
// the other table ends, they are not leased again as the answer grows.
func TestWholeLeasesHeldRowsOnce(t *testing.T) {
	a := mixedBatch(3000)
	b := mixedBatch(3000)
	b.Table = &pixie.TableMeta{ID: "t2", Name: "other", Columns: a.Table.Columns}
	leased := 0
	j := NewJSON(httptest.NewRecorder(), nil, 0)
	j.Whole = true
	j.Hold = func(n int, started bool) error {
		if started {
			t.Errorf("a Whole answer started before Finish")
		}
		leased += n
		return nil
	}
	for _, m := range []*pixie.TableMeta{a.Table, b.Table} {
		if err := j.Table(m); err != nil {
			t.Fatal(err)
		}
	}
	// a streams; b, interleaved, is held until a ends.
	for _, batch := range []*pixie.Batch{sliceBatch(a, 0, 10), sliceBatch(b, 0, 1500), sliceBatch(b, 1500, 3000), sliceBatch(a, 10, 3000)} {
		if err := j.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	held := len(j.buf)
	if err := j.Finish(&StreamEnd{StreamEnd: api.StreamEnd{Verdict: &tolerance.Verdict{Passed: true}}, Status: 200}); err != nil {
		t.Fatal(err)
	}
	// What the answer holds beyond flushSize, rounded up to holdStep.
	if want := max(held-flushSize, 0) + holdStep; leased > want {
		t.Errorf("leased %d KiB for an answer of %d KiB (%d KiB beyond flushSize)", leased>>10, held>>10, (held-flushSize)>>10)
	}
}
