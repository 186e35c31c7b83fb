package probe

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/tolerance"
)

// svcMeta is a table with a label column, two numeric ones, a time and a
// boolean.
var svcMeta = &pixie.TableMeta{ID: "t1", Name: "output", Columns: []pixie.ColumnInfo{
	{Name: "time_", Type: pixie.TypeTime64NS},
	{Name: "service", Type: pixie.TypeString},
	{Name: "latency", Type: pixie.TypeInt64},
	{Name: "error_rate", Type: pixie.TypeFloat64},
	{Name: "healthy", Type: pixie.TypeBoolean},
}}

// svcBatch holds one row per service, in order.
func svcBatch(services []string, latency []int64, rate []float64, healthy []bool) *pixie.Batch {
	n := len(services)
	str := make([][]byte, n)
	for i, s := range services {
		str[i] = []byte(s)
	}
	return &pixie.Batch{Table: svcMeta, NumRows: n, Cols: []pixie.ColumnData{
		{Int64: make([]int64, n)}, {String: str}, {Int64: latency}, {Float64: rate}, {Bool: healthy},
	}}
}

func feed(t *testing.T, s *Sink, batches ...*pixie.Batch) {
	t.Helper()
	if err := s.Table(svcMeta); err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := s.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
}

// exposition is the Prometheus text of res.
func exposition(t *testing.T, res *Result) string {
	t.Helper()
	w := httptest.NewRecorder()
	res.WriteText(w)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus text", ct)
	}
	return w.Body.String()
}

func TestResultMetrics(t *testing.T) {
	t.Parallel()
	b1 := svcBatch([]string{"a", "b"}, []int64{10, 20}, []float64{0.5, 0.25}, []bool{true, false})
	b2 := svcBatch([]string{"a"}, []int64{30}, []float64{0.125}, []bool{true})
	passed := &tolerance.Verdict{Passed: true, Checks: []tolerance.Result{{Name: "p99(latency) < 1", Passed: true}}}
	for _, tc := range []struct {
		name string
		all  bool
		res  func(*Sink) *Result
		want []string
		not  []string
	}{
		{"the last row's numeric columns and a passed check", false,
			func(s *Sink) *Result { return &Result{Sink: s, Verdict: passed} },
			[]string{
				"pxgate_probe_success 1",
				`pxgate_probe_rows{table="output"} 3`,
				`pxgate_probe_value{column="latency",table="output"} 30`,
				`pxgate_probe_value{column="error_rate",table="output"} 0.125`,
				`pxgate_probe_value{column="healthy",table="output"} 1`,
				`pxgate_probe_check_passed{check="p99(latency) < 1"} 1`,
			},
			[]string{`column="time_"`, `column="service"`, "series_truncated", "pxgate_probe_error"}},
		{"rows=all: one series per service, the last row of each wins", true,
			func(s *Sink) *Result { return &Result{Sink: s, Verdict: passed} },
			[]string{
				`pxgate_probe_value{column="latency",service="a",table="output"} 30`,
				`pxgate_probe_value{column="latency",service="b",table="output"} 20`,
				`pxgate_probe_value{column="healthy",service="b",table="output"} 0`,
				"pxgate_probe_series_truncated 0",
			},
			nil},
		{"a failed query is an error by problem type, never a success", false,
			func(s *Sink) *Result {
				return &Result{Sink: s, Problem: &api.Problem{Type: api.ProblemPixieTimeout}}
			},
			[]string{"pxgate_probe_success 0", `pxgate_probe_error{type="pixie-timeout"} 1`},
			[]string{"pxgate_probe_check_passed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewSink(tc.all, false)
			feed(t, s, b1, b2)
			text := exposition(t, tc.res(s))
			for _, line := range tc.want {
				if !strings.Contains(text, line+"\n") {
					t.Errorf("no line %q in\n%s", line, text)
				}
			}
			for _, sub := range tc.not {
				if strings.Contains(text, sub) {
					t.Errorf("%q should not appear in\n%s", sub, text)
				}
			}
		})
	}
}

// TestSeriesCap: rows=all stops adding series at MaxSeries and says so.
func TestSeriesCap(t *testing.T) {
	t.Parallel()
	n := MaxSeries // three numeric columns each: a third of them fit
	services, latency, rate, healthy := make([]string, n), make([]int64, n), make([]float64, n), make([]bool, n)
	for i := range n {
		services[i] = fmt.Sprintf("svc-%d", i)
	}
	s := NewSink(true, false)
	feed(t, s, svcBatch(services, latency, rate, healthy))
	if s.series > MaxSeries || !s.truncated {
		t.Fatalf("series %d, truncated %v: want at most %d and truncated", s.series, s.truncated, MaxSeries)
	}
	if text := exposition(t, &Result{Sink: s}); !strings.Contains(text, "pxgate_probe_series_truncated 1\n") {
		t.Errorf("no truncation line in the exposition")
	}
}

func TestLabelName(t *testing.T) {
	t.Parallel()
	taken := map[string]bool{"table": true, "column": true}
	for _, tc := range []struct{ in, want string }{
		{"service", "service"},
		{"req.path", "req_path"},
		{"5xx", "_5xx"},
		{"", "label"},
		{"__name__", "label__name__"},
		{"table", "label_table"},
		{"café", "caf_"},
	} {
		if got := labelName(tc.in, taken); got != tc.want {
			t.Errorf("labelName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDebugText: the debug text shows the request as given, the redacted
// check messages and the first rows.
func TestDebugText(t *testing.T) {
	t.Parallel()
	s := NewSink(false, true)
	feed(t, s, svcBatch([]string{"a"}, []int64{10}, []float64{0.5}, []bool{true}))
	res := &Result{Sink: s, Verdict: &tolerance.Verdict{Checks: []tolerance.Result{{Name: "max(latency) < 5", Message: "token hunter2 too slow"}}}}
	w := httptest.NewRecorder()
	err := res.WriteDebug(w, Debug{Script: "svc", Args: "token=<masked>", Checks: 1,
		Redact: func(m string) string { return strings.ReplaceAll(m, "hunter2", "<masked>") }})
	if err != nil {
		t.Fatal(err)
	}
	text := w.Body.String()
	for _, want := range []string{
		`pxgate probe of script "svc"`, "arguments:  token=<masked>", "success:    false",
		"FAIL max(latency) < 5: token <masked> too slow", "output: 1 rows",
		`{"time_":"1970-01-01T00:00:00.000000000Z","service":"a","latency":10,"error_rate":0.5,"healthy":true}`,
		"pxgate_probe_success 0",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "hunter2") {
		t.Errorf("the secret shows:\n%s", text)
	}
}
