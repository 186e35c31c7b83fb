package demo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// loadedCluster returns a cluster whose last two minutes hold about n
// http_events rows: the demo topology under heavy added load spread over
// its services (each added request gives a loadgen client row and a server
// row; most are rejected past capacity).
func loadedCluster(tb testing.TB, n int) *Cluster {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	c := New(Options{Seed: 7, Clock: clock, Window: 2 * time.Minute, MaxRows: 2 * n})
	svcs := []string{"frontend", "consumer", "catalog", "cart", "producer"}
	rps := float64(n) / 120 / 2 / float64(len(svcs))
	for _, s := range svcs {
		for left := rps; left > 0; left -= MaxExtraRPS {
			if err := c.AddLoad(s, min(left, MaxExtraRPS), 10*time.Minute); err != nil {
				tb.Fatal(err)
			}
		}
	}
	now = now.Add(2 * time.Minute)
	c.Advance()
	return c
}

func BenchmarkSeedLET1M(b *testing.B) {
	script, err := os.ReadFile("../../examples/chaostoolkit/let.pxl")
	if err != nil {
		b.Fatal(err)
	}
	c := loadedCluster(b, 1_000_000)
	rows := c.Rows("http_events")
	e := pxl.NewEngine(c)
	for b.Loop() {
		res, err := e.Execute(context.Background(), string(script), nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Tables[0].NumRows() == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(rows), "rows")
}
