package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
	"github.com/pxgate/pxgate/tolerance"
)

func TestAppendString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"plain ASCII is copied", "default/consumer", `"default/consumer"`},
		{"an empty string", "", `""`},
		{"quotes and backslashes are escaped", `a"b\c`, `"a\"b\\c"`},
		{"control characters are escaped", "\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"valid UTF-8 is kept", "héllo ✓ 🚀", `"héllo ✓ 🚀"`},
		{"an invalid byte becomes U+FFFD", "a\xffb", `"a\ufffdb"`},
		{"a truncated sequence becomes U+FFFD per byte", "x\xe2\x82", `"x\ufffd\ufffd"`},
		{"line and paragraph separators are escaped", "a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"HTML characters are not escaped", "<=&>", `"<=&>"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := string(appendBytesString(nil, []byte(tc.in)))
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			var back string
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if utf8.ValidString(tc.in) && back != tc.in {
				t.Errorf("round trip: got %q, want %q", back, tc.in)
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1.5, "1.5"},
		{-2, "-2"},
		{1234567, "1234567"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1.2e-7, "1.2e-7"},
		{0.000001, "0.000001"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
		{math.Copysign(0, -1), "-0"},
		{1 << 53, "9007199254740992"},
		{-(1<<53 - 1), "-9007199254740991"},
		{210000000, "210000000"},
	} {
		if got := string(appendFloat(nil, tc.in)); got != tc.want {
			t.Errorf("appendFloat(%v): got %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzAppendFloat: the whole-number shortcut writes what encoding/json
// writes for the same float.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, -1, 1.5, 2.1e8, 1 << 53, 1<<53 + 2, -1e21, 1e-7} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendFloat(nil, v); string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s, encoding/json says %s", v, got, want)
		}
	})
}

func TestAppendTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC), "2026-01-02T15:04:05.123456789Z"},
		{time.Date(2026, 1, 2, 15, 4, 5, 0, time.FixedZone("CET", 3600)), "2026-01-02T14:04:05.000000000Z"},
		{time.Unix(0, 0), "1970-01-01T00:00:00.000000000Z"},
		{time.Unix(0, -1), "1969-12-31T23:59:59.999999999Z"},
	} {
		if got := string(appendTime(nil, tc.in.UnixNano())); got != tc.want {
			t.Errorf("appendTime(%v): got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAppendUUID(t *testing.T) {
	t.Parallel()
	got := string(appendUUID(nil, pixie.UInt128{High: 0x0123456789abcdef, Low: 0xfedcba9876543210}))
	if want := "01234567-89ab-cdef-fedc-ba9876543210"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestColumnView: what the tolerances see of each column type.
func TestColumnView(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		typ      pixie.DataType
		data     pixie.ColumnData
		wantNum  float64
		wantOK   bool
		wantText string
	}{
		{"INT64 is numeric", pixie.TypeInt64, pixie.ColumnData{Int64: []int64{-7}}, -7, true, "-7"},
		{"TIME64NS is numeric", pixie.TypeTime64NS, pixie.ColumnData{Int64: []int64{1e9}}, 1e9, true, "1970-01-01T00:00:01.000000000Z"},
		{"FLOAT64 is numeric", pixie.TypeFloat64, pixie.ColumnData{Float64: []float64{0.25}}, 0.25, true, "0.25"},
		{"BOOLEAN is 0 or 1", pixie.TypeBoolean, pixie.ColumnData{Bool: []bool{true}}, 1, true, "true"},
		{"STRING is not numeric", pixie.TypeString, pixie.ColumnData{String: [][]byte{[]byte("12")}}, 0, false, "12"},
		{"UINT128 is not numeric", pixie.TypeUInt128, pixie.ColumnData{UInt128: []pixie.UInt128{{High: 1, Low: 2}}}, 0, false, "00000000-0000-0001-0000-000000000002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := columnView{data: &tc.data, typ: tc.typ}
			n, ok := c.Number(0)
			if n != tc.wantNum || ok != tc.wantOK {
				t.Errorf("Number: got %v, %v, want %v, %v", n, ok, tc.wantNum, tc.wantOK)
			}
			if got := c.Text(0); got != tc.wantText {
				t.Errorf("Text: got %q, want %q", got, tc.wantText)
			}
			if c.Len() != 1 {
				t.Errorf("Len: got %d, want 1", c.Len())
			}
		})
	}
}

func TestEncodeRunEmptyTable(t *testing.T) {
	t.Parallel()
	meta := &pixie.TableMeta{ID: "1", Name: "output"}
	var buf bytes.Buffer
	err := encodeRun(&buf, &runResult{
		verdict: tolerance.Verdict{Passed: true, Checks: []tolerance.Result{}},
		tables:  []*pixie.Table{{Meta: meta}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cluster_id":"","query_id":"","timeout_ms":0,"verdict":{"passed":true,"checks":[]},` +
		`"stats":{"compilation_ms":0,"execution_ms":0,"records_processed":0,"bytes_processed":0,"total_ms":0},` +
		`"tables":[{"name":"output","columns":[],"rows":[],"row_count":0,"total_rows":0,"truncated":false}]}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestClassify is the table of every error's answer.
func TestClassify(t *testing.T) {
	t.Parallel()
	perr := func(k pixie.Kind) error { return &pixie.Error{Kind: k, Message: "something"} }
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		typ      string
		canceled bool
	}{
		{"a compile error is a 400", &pixie.CompileError{Errors: []pixie.CompilerError{{Line: 1, Column: 2, Message: "bad"}}}, 400, api.ProblemCompileError, false},
		{"an invalid argument is a 400", perr(pixie.KindInvalidArgument), 400, api.ProblemInvalidArgument, false},
		{"an unknown cluster is a 404", perr(pixie.KindNotFound), 404, api.ProblemUnknownCluster, false},
		{"unavailable is a 502", perr(pixie.KindUnavailable), 502, api.ProblemPixieUnavailable, false},
		{"refused credentials are a 502", perr(pixie.KindUnauthenticated), 502, api.ProblemPixieAuth, false},
		{"an execution failure is a 502", perr(pixie.KindExecution), 502, api.ProblemPixieExecution, false},
		{"a protocol violation is a 502", perr(pixie.KindProtocol), 502, api.ProblemPixieProtocol, false},
		{"an unsupported operation is a 502", perr(pixie.KindUnsupported), 502, api.ProblemPixieUnsupported, false},
		{"a timeout is a 504", perr(pixie.KindTimeout), 504, api.ProblemPixieTimeout, false},
		{"a cancellation is nobody's answer", perr(pixie.KindCanceled), 499, "", true},
		{"a wrapped Pixie error keeps its kind", wrap(perr(pixie.KindTimeout)), 504, api.ProblemPixieTimeout, false},
		{"any other error is a 500", io.ErrUnexpectedEOF, 500, api.ProblemInternal, false},
		{"an unknown kind is a 500", perr(pixie.Kind(99)), 500, api.ProblemInternal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := classify(tc.err, 1500*time.Millisecond)
			if f.problem.Status != tc.status || f.problem.Type != tc.typ || f.canceled != tc.canceled {
				t.Errorf("got %d %q canceled=%v, want %d %q canceled=%v", f.problem.Status, f.problem.Type, f.canceled, tc.status, tc.typ, tc.canceled)
			}
			if tc.typ != "" && tc.typ != api.ProblemInternal && (f.problem.Title == "" || f.problem.Detail == "") {
				t.Errorf("problem lacks a title or detail: %+v", f.problem)
			}
		})
	}
	if f := classify(&pixie.Error{Kind: pixie.KindTimeout}, 1500*time.Millisecond); f.problem.TimeoutMS != 1500 {
		t.Errorf("timeout_ms: got %d, want 1500", f.problem.TimeoutMS)
	}
	hint := classify(&pixie.CompileError{Message: "Script compilation failed", Errors: []pixie.CompilerError{
		{Message: "query does not output a result, please add a px.display() statement"},
	}}, 0)
	if hint.problem.Hint != displayHint {
		t.Errorf("hint: got %q, want %q", hint.problem.Hint, displayHint)
	}
}

func wrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "context: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// letMeta is the relation of the seed's LET table.
func letMeta() *pixie.TableMeta {
	col := func(name string, typ pixie.DataType, sem pixie.SemanticType) pixie.ColumnInfo {
		return pixie.ColumnInfo{Name: name, Type: typ, SemanticType: sem}
	}
	return &pixie.TableMeta{ID: "t1", Name: "output", Columns: []pixie.ColumnInfo{
		col("time_", pixie.TypeTime64NS, pixie.STTimeNS),
		col("latency_p50", pixie.TypeInt64, pixie.STDurationNS),
		col("latency_p90", pixie.TypeInt64, pixie.STDurationNS),
		col("latency_p99", pixie.TypeInt64, pixie.STDurationNS),
		col("request_throughput", pixie.TypeFloat64, pixie.STThroughputPerNS),
		col("errors_per_ns", pixie.TypeFloat64, pixie.STThroughputPerNS),
		col("error_rate", pixie.TypeFloat64, pixie.STPercent),
		col("bytes_per_ns", pixie.TypeFloat64, pixie.STThroughputBytesPerNS),
	}}
}

// letWireBatches returns rows of the LET table as serialized RowBatchData
// messages of batchRows rows each, as they arrive from Vizier.
func letWireBatches(tb testing.TB, rows, batchRows int) [][]byte {
	tb.Helper()
	base := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC).UnixNano()
	var out [][]byte
	for lo := 0; lo < rows; lo += batchRows {
		n := min(batchRows, rows-lo)
		times, p50, p90, p99 := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		thr, errs, rate, bps := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			r := lo + i
			times[i] = base + int64(r)*10_000_000_000
			p99[i] = int64(80_000_000 + (r*7919)%250_000_000)
			p90[i] = p99[i] * 8 / 10
			p50[i] = p99[i] / 2
			thr[i] = float64(100+r%97) / 1e10
			rate[i] = float64(r%13) / 100
			errs[i] = rate[i] * thr[i]
			bps[i] = thr[i] * 2048.5
		}
		rb := &vizierpb.RowBatchData{
			TableId: "t1",
			NumRows: int64(n),
			Eos:     lo+n >= rows,
			Cols: []*vizierpb.Column{
				{ColData: &vizierpb.Column_Time64NsData{Time64NsData: &vizierpb.Time64NSColumn{Data: times}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p50}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p90}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p99}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: thr}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: errs}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: rate}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: bps}}},
			},
		}
		b, err := proto.Marshal(rb)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// decodeEncode is the gateway's hot path for one result: wire batches ->
// DecodeBatch -> Collector -> JSON.
func decodeEncode(tb testing.TB, meta *pixie.TableMeta, wire [][]byte, w io.Writer) {
	col := &pixie.Collector{}
	if err := col.Table(meta); err != nil {
		tb.Fatal(err)
	}
	for _, b := range wire {
		var rb vizierpb.RowBatchData
		if err := proto.Unmarshal(b, &rb); err != nil {
			tb.Fatal(err)
		}
		batch, err := vizier.DecodeBatch(meta, &rb)
		if err != nil {
			tb.Fatal(err)
		}
		if err := col.Batch(batch); err != nil {
			tb.Fatal(err)
		}
	}
	err := encodeRun(w, &runResult{
		clusterID: "5b27f024-eccb-4d07-b28d-84ab8d88e6a3",
		queryID:   "q",
		timeout:   30 * time.Second,
		verdict:   tolerance.Verdict{Passed: true, Checks: []tolerance.Result{}},
		tables:    col.Tables,
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestDecodeEncodeLET checks the benchmark's path end to end on a few
// batches: the output is a valid RunResponse with every row.
func TestDecodeEncodeLET(t *testing.T) {
	t.Parallel()
	const rows = 2500
	var buf bytes.Buffer
	decodeEncode(t, letMeta(), letWireBatches(t, rows, 1024), &buf)
	var got api.RunResponse
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tables) != 1 || len(got.Tables[0].Rows) != rows || got.Tables[0].TotalRows != rows {
		t.Fatalf("got %d tables, want 1 with %d rows", len(got.Tables), rows)
	}
	if last := got.Tables[0].Rows[rows-1]; len(last) != 8 || last["time_"] != "2026-01-02T22:00:30.000000000Z" {
		t.Errorf("last row: got %v", last)
	}
}

// BenchmarkDecodeEncodeLET1M measures the gateway's own work on a large
// result: 1M rows of the seed's LET table arriving as 1024-row batches,
// unmarshalled, decoded, collected and encoded as a JSON response.
func BenchmarkDecodeEncodeLET1M(b *testing.B) {
	const rows = 1 << 20
	meta := letMeta()
	wire := letWireBatches(b, rows, 1024)
	var wireBytes int
	for _, w := range wire {
		wireBytes += len(w)
	}
	b.SetBytes(int64(wireBytes))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		decodeEncode(b, meta, wire, io.Discard)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
