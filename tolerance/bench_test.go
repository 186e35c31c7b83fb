package tolerance

import (
	"math/rand/v2"
	"testing"
)

// benchTable is 1M latencies in nanoseconds, in batches of 1024 rows.
func benchTable(b *testing.B) ([]fakeBatch, []TableSchema) {
	b.Helper()
	const n, batch = 1_000_000, 1024
	r := rand.New(rand.NewPCG(1, 2))
	lat := make([]float64, n)
	for i := range lat {
		lat[i] = float64(1_000_000 + r.IntN(500_000_000))
	}
	t := tbl("output", num("latency_p99", lat...))
	return t.split((n + batch - 1) / batch), []TableSchema{t.schema()}
}

func benchEvaluate(b *testing.B, specs []Spec) {
	batches, schemas := benchTable(b)
	set, err := Compile(specs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e := set.NewEvaluator()
		for _, bt := range batches {
			e.Add("output", bt)
		}
		if v := e.Verdict(schemas); len(v.Checks) != len(specs) {
			b.Fatalf("got %d checks", len(v.Checks))
		}
	}
}

// BenchmarkEvaluateP99 streams 1M values to a p99 check and takes the verdict.
func BenchmarkEvaluateP99(b *testing.B) {
	benchEvaluate(b, []Spec{{Expect: "p99(latency_p99) < 300ms"}})
}

// BenchmarkEvaluateCompat is the seed's check (exclusive p99 in ms) on 1M values.
func BenchmarkEvaluateCompat(b *testing.B) {
	benchEvaluate(b, []Spec{{Func: "percentile_should_be_below", Arguments: map[string]any{
		"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}}})
}

// BenchmarkEvaluateMean needs no values kept: running sums only.
func BenchmarkEvaluateMean(b *testing.B) {
	benchEvaluate(b, []Spec{{Expect: "mean(latency_p99) < 300ms"}})
}
