package tolerance

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// pythonStats is testdata/python_stats.json, written by testdata/gen_python.py:
//
//	cd tolerance/testdata && python3 gen_python.py > python_stats.json
type pythonStats struct {
	Python   string `json:"python"`
	Datasets []struct {
		Name      string             `json:"name"`
		Values    []float64          `json:"values"`
		Unit      string             `json:"unit"`
		Exclusive map[string]float64 `json:"exclusive"`
		Linear    map[string]float64 `json:"linear"`
		Median    float64            `json:"median"`
		Mean      float64            `json:"mean"`
	} `json:"datasets"`
	Compat []struct {
		Name      string           `json:"name"`
		Rows      []map[string]any `json:"rows"`
		Func      string           `json:"func"`
		Arguments map[string]any   `json:"arguments"`
		Passed    bool             `json:"passed"`
		Value     *float64         `json:"value"`
	} `json:"compat"`
}

func loadPythonStats(t *testing.T) pythonStats {
	t.Helper()
	b, err := os.ReadFile("testdata/python_stats.json")
	if err != nil {
		t.Fatal(err)
	}
	var ps pythonStats
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	if len(ps.Datasets) == 0 || len(ps.Compat) == 0 {
		t.Fatal("testdata/python_stats.json has no datasets or compat cases")
	}
	return ps
}

// TestPythonStats compares percentiles (exclusive and linear), median and mean
// with CPython's statistics module (and a hand-written numpy-style linear
// percentile) on the datasets of testdata/gen_python.py. Regenerate with
//
//	cd tolerance/testdata && python3 gen_python.py > python_stats.json
//
// Values must agree within 1e-9 relative; the exclusive percentiles and the
// median, which decide the compatibility form's verdict, must agree exactly.
func TestPythonStats(t *testing.T) {
	t.Parallel()
	ps := loadPythonStats(t)
	for _, ds := range ps.Datasets {
		t.Run(ds.Name, func(t *testing.T) {
			t.Parallel()
			type want struct {
				spec  Spec
				value float64
				exact bool
			}
			var wants []want
			add := func(sp Spec, v float64, exact bool) {
				sp.Column, sp.Unit, sp.AtLeast = "v", ds.Unit, f(-1e300)
				wants = append(wants, want{sp, v, exact})
			}
			for p, v := range ds.Exclusive {
				pct, _ := strconv.ParseFloat(p, 64)
				add(Spec{Aggregate: "percentile", Percentile: &pct, Method: "exclusive"}, v, true)
			}
			for p, v := range ds.Linear {
				pct, _ := strconv.ParseFloat(p, 64)
				add(Spec{Aggregate: "percentile", Percentile: &pct}, v, false)
			}
			add(Spec{Aggregate: "median"}, ds.Median, true)
			add(Spec{Aggregate: "mean"}, ds.Mean, false)
			specs := make([]Spec, len(wants))
			for i, w := range wants {
				specs[i] = w.spec
			}
			table := tbl("output", num("v", ds.Values...))
			for _, pieces := range []int{1, 4} {
				v := evaluateSplit(t, specs, pieces, table)
				for i, w := range wants {
					r := v.Checks[i]
					switch {
					case r.Value == nil:
						t.Errorf("%s: got null (%s), want %v", r.Name, r.Message, w.value)
					case w.exact && *r.Value != w.value:
						t.Errorf("%s: got %v, want exactly %v", r.Name, *r.Value, w.value)
					case !closeTo(*r.Value, w.value):
						t.Errorf("%s: got %v, want %v", r.Name, *r.Value, w.value)
					}
				}
			}
		})
	}
}

// TestPythonCompat replays the compatibility cases of testdata/gen_python.py,
// whose expected verdicts come from re-implementing chaostoolkit-pixie's
// tolerance functions with Python's statistics module.
func TestPythonCompat(t *testing.T) {
	t.Parallel()
	ps := loadPythonStats(t)
	for _, tc := range ps.Compat {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			set, err := Compile([]Spec{{Func: tc.Func, Arguments: tc.Arguments}})
			if err != nil {
				t.Fatal(err)
			}
			batches, schema := rowsToBatches(tc.Rows, tc.Arguments["column"].(string))
			e := set.NewEvaluator()
			for _, b := range batches {
				e.Add("output", b)
			}
			r := e.Verdict([]TableSchema{schema}).Checks[0]
			if r.Passed != tc.Passed {
				t.Errorf("passed: got %v, want %v (%s)", r.Passed, tc.Passed, r.Message)
			}
			switch {
			case tc.Value == nil && r.Value != nil:
				t.Errorf("value: got %v, want null", *r.Value)
			case tc.Value != nil && r.Value == nil:
				t.Errorf("value: got null (%s), want %v", r.Message, *tc.Value)
			case tc.Value != nil && *r.Value != *tc.Value:
				t.Errorf("value: got %v, want exactly %v", *r.Value, *tc.Value)
			}
		})
	}
}

// rowsToBatches turns Python-style rows (dicts) into batches: consecutive rows
// with the same keys form a batch, so a row without a column sits in a batch
// without that column. The schema has every key, and column.
func rowsToBatches(rows []map[string]any, column string) ([]fakeBatch, TableSchema) {
	schema := TableSchema{Name: "output", Columns: []string{column}}
	var out []fakeBatch
	var keys []string
	for _, row := range rows {
		rk := make([]string, 0, len(row))
		for k := range row {
			rk = append(rk, k)
			if !slices.Contains(schema.Columns, k) {
				schema.Columns = append(schema.Columns, k)
			}
		}
		slices.Sort(rk)
		if len(out) == 0 || !reflect.DeepEqual(rk, keys) {
			out = append(out, fakeBatch{cols: map[string]fakeColumn{}})
			keys = rk
		}
		b := &out[len(out)-1]
		b.n++
		for k, v := range row {
			c := b.cols[k]
			if s, ok := v.(string); ok {
				c.texts = append(c.texts, s)
			} else {
				c.nums = append(c.nums, v.(float64))
			}
			b.cols[k] = c
		}
	}
	return out, schema
}
