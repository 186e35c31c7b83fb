//go:build race

package handlers_test

// largeRows is the size of TestStreamLargeResult's result: smaller under
// the race detector, which slows encoding about tenfold.
// BenchmarkStream1M always streams a million rows.
const largeRows = 200_000
