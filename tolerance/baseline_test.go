package tolerance

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// evalBaseline evaluates expect on current and baseline values of column x.
func evalBaseline(t *testing.T, expect string, current, baseline []float64, onEmpty string) Result {
	t.Helper()
	set, err := Compile([]Spec{{Expect: expect, OnEmpty: onEmpty}})
	if err != nil {
		t.Fatal(err)
	}
	if !set.HasBaseline() {
		t.Fatalf("%s: HasBaseline is false", expect)
	}
	schema := []TableSchema{{Name: "output", Columns: []string{"x"}}}
	feed := func(vals []float64) *Evaluator {
		e := set.NewEvaluator()
		e.Add("output", fakeBatch{n: len(vals), cols: map[string]fakeColumn{"x": {nums: vals}}})
		return e
	}
	cur := feed(current)
	cur.SetBaseline(feed(baseline), schema)
	return cur.Verdict(schema).Checks[0]
}

func TestBaselineChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expect            string
		current, baseline []float64
		pass              bool
		threshold         any
		base, ratio       float64
	}{
		{"max(x) < 1.5x baseline", []float64{10, 14}, []float64{8, 10}, true, 15.0, 10, 1.4},
		{"max(x) < 1.5x baseline", []float64{10, 15}, []float64{8, 10}, false, 15.0, 10, 1.5},
		{"mean(x) <= baseline + 0.02", []float64{0.05}, []float64{0.02, 0.04}, true, 0.05, 0.03, 0.05 / 0.03},
		{"mean(x) <= baseline + 0.02", []float64{0.06}, []float64{0.02, 0.04}, false, 0.05, 0.03, 2},
		{"max(x) <= baseline + 50ms", []float64{200e6}, []float64{150e6}, true, 200.0, 150, 200.0 / 150},
		{"max(x) >= baseline - 2", []float64{7}, []float64{10}, false, 8.0, 10, 0.7},
		{"p50(x) within 20% of baseline", []float64{110}, []float64{100}, true, []float64{80, 120}, 100, 1.1},
		{"p50(x) within 20% of baseline", []float64{70}, []float64{100}, false, []float64{80, 120}, 100, 0.7},
		{"p50(x) within 20% of baseline", []float64{-110}, []float64{-100}, true, []float64{-120, -80}, -100, 1.1},
	}
	for _, tc := range cases {
		r := evalBaseline(t, tc.expect, tc.current, tc.baseline, "")
		if r.Passed != tc.pass || r.Baseline == nil || !closeTo(*r.Baseline, tc.base) || r.Ratio == nil || !closeTo(*r.Ratio, tc.ratio) {
			t.Errorf("%s on %v vs %v: %+v, want passed %v, baseline %v, ratio %v", tc.expect, tc.current, tc.baseline, r, tc.pass, tc.base, tc.ratio)
			continue
		}
		if !thresholdClose(r.Threshold, tc.threshold) {
			got, _ := json.Marshal(r.Threshold)
			want, _ := json.Marshal(tc.threshold)
			t.Errorf("%s: threshold %s, want %s", tc.expect, got, want)
		}
		if !strings.Contains(r.Message, "baseline") {
			t.Errorf("%s: message %q does not mention the baseline", tc.expect, r.Message)
		}
	}
}

// The message gives the value, the derived threshold and how it was
// derived from the baseline.
func TestBaselineMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expect, want string }{
		{"max(x) < 1.5x baseline", "max of x is 15, not below 15 (1.5x the baseline 10): fail"},
		{"max(x) >= baseline - 2", "max of x is 15, at least 8 (the baseline 10 - 2): pass"},
		{"p50(x) within 20% of baseline", "p50 of x is 12.5, not between 7.2 and 10.8 (20% around the baseline 9): fail"},
	} {
		if got := evalBaseline(t, tc.expect, []float64{10, 15}, []float64{8, 10}, "").Message; got != tc.want {
			t.Errorf("%s: message %q, want %q", tc.expect, got, tc.want)
		}
	}
}

// thresholdClose reports whether a Result's threshold is want (a number,
// or [lo, hi]) up to rounding.
func thresholdClose(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && closeTo(g, w)
	case []float64:
		g, ok := got.([]float64)
		return ok && slices.EqualFunc(g, w, closeTo)
	}
	return false
}

// A baseline window without rows follows on_empty (fail by default); a
// baseline of 0 derives a threshold but no ratio; no baseline given fails.
func TestBaselineFailsClosed(t *testing.T) {
	t.Parallel()
	if r := evalBaseline(t, "max(x) < 1.5x baseline", []float64{1}, nil, ""); r.Passed || !strings.Contains(r.Message, "baseline window: no rows") {
		t.Errorf("empty baseline: %+v, want a failure saying so", r)
	}
	if r := evalBaseline(t, "max(x) < 1.5x baseline", []float64{1}, nil, "pass"); !r.Passed {
		t.Errorf("empty baseline with on_empty pass: %+v, want a pass", r)
	}
	if r := evalBaseline(t, "max(x) < 1.5x baseline", []float64{1}, []float64{0}, ""); r.Passed || r.Ratio != nil || r.Baseline == nil {
		t.Errorf("baseline 0: %+v, want a failure (1 < 0 is false) with no ratio", r)
	}
	set, err := Compile([]Spec{{Expect: "max(x) < 1.5x baseline"}})
	if err != nil {
		t.Fatal(err)
	}
	e := set.NewEvaluator()
	e.Add("output", fakeBatch{n: 1, cols: map[string]fakeColumn{"x": {nums: []float64{1}}}})
	if r := e.Verdict([]TableSchema{{Name: "output"}}).Checks[0]; r.Passed || !strings.Contains(r.Message, "no baseline window") {
		t.Errorf("no SetBaseline: %+v, want a failure", r)
	}
}

func TestBaselineSpecErrors(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Column: "x", Aggregate: "max", Below: f(1), Baseline: &BaselineSpec{Compare: "below", Factor: f(2)}}, `cannot be combined with "below"`},
		{Spec{Column: "x", Rows: "all", Baseline: &BaselineSpec{Compare: "below", Factor: f(2)}}, "use an aggregate"},
		{Spec{Column: "x", Aggregate: "max", Baseline: &BaselineSpec{Compare: "below"}}, "exactly one of factor, plus, within_percent"},
		{Spec{Column: "x", Aggregate: "max", Baseline: &BaselineSpec{Compare: "near", Plus: f(1)}}, `compare "near" unknown`},
		{Spec{Column: "x", Aggregate: "max", Baseline: &BaselineSpec{Compare: "below", WithinPercent: f(5)}}, "leave compare out"},
		{Spec{Column: "x", Aggregate: "max", Baseline: &BaselineSpec{Compare: "below", Factor: f(-1)}}, "factor must be positive"},
		{Spec{Expect: "max(x) < 2x baseline", Baseline: &BaselineSpec{Compare: "below", Factor: f(2)}}, `expect cannot be combined with "baseline"`},
	}
	for _, tc := range cases {
		_, err := Compile([]Spec{tc.spec})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
	// The JSON form and the compact form are the same check.
	s, err := Compile([]Spec{{Column: "x", Aggregate: "p99", Unit: "ms", Baseline: &BaselineSpec{Compare: "at_most", Plus: f(50)}}})
	if err != nil || s.checks[0].name != "p99(x) <= baseline + 50ms" {
		t.Errorf("JSON form: %v, name %q", err, s.checks[0].name)
	}
}

// A threshold derived from a finite baseline can still overflow: the check
// fails, and its result holds no infinity (JSON cannot encode one, and an
// answer that cannot be encoded must never go out as an empty 200).
func TestBaselineInfiniteThreshold(t *testing.T) {
	t.Parallel()
	r := evalBaseline(t, "max(x) < 100x baseline", []float64{1e307}, []float64{1e307}, "")
	if r.Passed || r.Threshold != nil || !strings.Contains(r.Message, "not a finite number") {
		t.Errorf("got %+v, want a failure without a threshold", r)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("the result does not encode: %v", err)
	}
}

// Holds reads every comparison a Target names, and holds nothing for an
// unknown one or threshold.
func TestHolds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		compare   string
		threshold any
		v         float64
		want      bool
	}{
		{"below", 2.0, 1, true}, {"below", 2.0, 2, false},
		{"above", 2.0, 3, true}, {"above", 2.0, 2, false},
		{"at_most", 2.0, 2, true}, {"at_most", 2.0, 3, false},
		{"at_least", 2.0, 2, true}, {"at_least", 2.0, 1, false},
		{"equals", 2.0, 2, true}, {"equals", 2.0, 1, false},
		{"between", []float64{1, 3}, 3, true}, {"between", []float64{1, 3}, 4, false},
		{"between", []float64{1}, 1, false}, {"below", "2", 1, false},
		{"", 2.0, 1, false}, {"near", 2.0, 2, false},
	} {
		if got := Holds(tc.compare, tc.threshold, tc.v); got != tc.want {
			t.Errorf("Holds(%q, %v, %v) = %v, want %v", tc.compare, tc.threshold, tc.v, got, tc.want)
		}
	}
	for i, e := range []string{"max(x) < 1", "max(x) >= 2x baseline", "p50(x) within 5% of baseline", "max(x) == 3", "max(x) in [1, 2]"} {
		s, err := Compile([]Spec{{Expect: e}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Target(0).Compare, []string{"below", "at_least", "between", "equals", "between"}[i]; got != want {
			t.Errorf("%s: Target compares %q, want %q", e, got, want)
		}
	}
}
