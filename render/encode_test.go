package render

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/lettest"
	"github.com/pxgate/pxgate/pixie"
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
		if got := string(AppendTime(nil, tc.in.UnixNano())); got != tc.want {
			t.Errorf("appendTime(%v): got %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestDayCacheIsTimeFormat: a dayCache kept across many times (in order,
// as a result's are, and at random) writes what time.Format writes.
func TestDayCacheIsTimeFormat(t *testing.T) {
	t.Parallel()
	const layout = "2006-01-02T15:04:05.000000000Z07:00"
	r := rand.New(rand.NewPCG(3, 4))
	var c dayCache
	ns := time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC).UnixNano()
	for i := range 300_000 {
		switch i % 3 {
		case 0:
			ns += r.Int64N(int64(10 * time.Minute))
		case 1:
			ns = int64(r.Uint64()) // any time an int64 holds: 1677 to 2262
		}
		want := time.Unix(0, ns).UTC().Format(layout)
		if got := string(c.appendTime([]byte("x"), ns)); got != "x"+want {
			t.Fatalf("appendTime(%d): got %s, want x%s", ns, got, want)
		}
	}
}

func TestAppendUUID(t *testing.T) {
	t.Parallel()
	got := string(AppendUUID(nil, pixie.UInt128{High: 0x0123456789abcdef, Low: 0xfedcba9876543210}))
	if want := "01234567-89ab-cdef-fedc-ba9876543210"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestJSONEmptyTable(t *testing.T) {
	t.Parallel()
	meta := &pixie.TableMeta{ID: "1", Name: "output"}
	w := httptest.NewRecorder()
	j := NewJSON(w, nil, 0)
	if err := j.Table(meta); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(passed(http.StatusOK)); err != nil {
		t.Fatal(err)
	}
	want := `{"tables":[{"name":"output","columns":[],"rows":[],"row_count":0,"total_rows":0,"truncated":false}],` +
		`"cluster_id":"","query_id":"","timeout_ms":0,"verdict":{"passed":true,"checks":[]},` +
		`"stats":{"compilation_ms":0,"execution_ms":0,"records_processed":0,"bytes_processed":0,"total_ms":0}}` + "\n"
	if got := w.Body.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := w.Header().Get("Content-Length"); got != strconv.Itoa(len(want)) {
		t.Errorf("Content-Length: got %q, want %d", got, len(want))
	}
}

// passed is the end of a passing run without checks.
func passed(status int) *StreamEnd {
	return &StreamEnd{StreamEnd: api.StreamEnd{
		Verdict: &tolerance.Verdict{Passed: true, Checks: []tolerance.Result{}},
		Stats:   &api.Stats{},
	}, Status: status}
}

// decodeEncode is the gateway's hot path for one result: wire batches ->
// DecodeBatch -> the JSON sink.
func decodeEncode(tb testing.TB, meta *pixie.TableMeta, wire [][]byte, w http.ResponseWriter) {
	j := NewJSON(w, nil, 0)
	lettest.Decode(tb, j, meta, wire)
	end := passed(http.StatusOK)
	end.ClusterID, end.QueryID, end.TimeoutMS = "5b27f024-eccb-4d07-b28d-84ab8d88e6a3", "q", 30000
	if err := j.Finish(end); err != nil {
		tb.Fatal(err)
	}
}

// TestDecodeEncodeLET checks the benchmark's path end to end on a few
// batches: the output is a valid RunResponse with every row.
func TestDecodeEncodeLET(t *testing.T) {
	t.Parallel()
	const rows = 2500
	w := httptest.NewRecorder()
	decodeEncode(t, lettest.Meta(), lettest.WireBatches(t, rows, 1024), w)
	var got api.RunResponse
	dec := json.NewDecoder(w.Body)
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

// discard is a ResponseWriter that drops the body.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkDecodeEncodeLET1M measures the gateway's own work on a large
// result: 1M rows of the seed's LET table arriving as 1024-row batches,
// unmarshalled, decoded and streamed as a JSON response.
func BenchmarkDecodeEncodeLET1M(b *testing.B) {
	const rows = 1 << 20
	meta := lettest.Meta()
	wire := lettest.WireBatches(b, rows, 1024)
	var wireBytes int
	for _, w := range wire {
		wireBytes += len(w)
	}
	b.SetBytes(int64(wireBytes))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		decodeEncode(b, meta, wire, &discard{h: http.Header{}})
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
