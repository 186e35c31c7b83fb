package render

import (
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/pxgate/pxgate/internal/lettest"
)

// BenchmarkJSONLET100 is the encoding of handlers'
// BenchmarkServeRunLET100's answer alone.
func BenchmarkJSONLET100(b *testing.B) {
	batch := lettest.Batch(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		j := NewJSON(&discard{h: http.Header{}}, nil, 0)
		_ = j.Table(batch.Table)
		if err := j.Batch(batch); err != nil {
			b.Fatal(err)
		}
		if err := j.Finish(passed(http.StatusOK)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendStringFastPath checks that appendString, which copies plain
// ASCII as it is, answers as appendBytesString does.
func TestAppendStringFastPath(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "default/consumer", "5b27f024-eccb-4d07-b28d-84ab8d88e6a3", "latency_p99", `a"b\c`, "\n\r\t\x00\x1f", "\x7f",
		"héllo ✓ 🚀", "a\xffb", "x\xe2\x82", "a\u2028b\u2029c", "<=&>", " ~",
	} {
		if got, want := string(appendString([]byte("x"), s)), string(appendBytesString([]byte("x"), []byte(s))); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestDayCache checks that dayCache.appendTime, one cache for a whole
// sequence, answers as time.Time's formatting does: within days, across
// midnight, before 1970 and at the ends of int64.
func TestDayCache(t *testing.T) {
	t.Parallel()
	var ns []int64
	for _, base := range []int64{0, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).UnixNano(), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC).UnixNano(), time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC).UnixNano()} {
		for _, d := range []int64{-nsPerDay - 1, -nsPerDay, -1, 0, 1, 999_999_999, 1e9, 3599e9, 3600e9, nsPerDay - 1, nsPerDay, nsPerDay + 1} {
			ns = append(ns, base+d)
		}
		for i := range int64(50) {
			ns = append(ns, base+i*7919*int64(time.Second)+i)
		}
	}
	ns = append(ns, math.MinInt64, math.MinInt64+1, math.MaxInt64, math.MaxInt64-1, -1, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ns = append(ns, int64(rng.Uint64()))
	}
	var c dayCache
	for _, v := range ns {
		if got, want := string(c.appendTime([]byte("x"), v)), "x"+time.Unix(0, v).UTC().Format("2006-01-02T15:04:05.000000000Z"); got != want {
			t.Errorf("dayCache.appendTime(%d) = %s, want %s", v, got, want)
		}
	}
}
