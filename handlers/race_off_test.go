//go:build !race

package handlers_test

// largeRows is the size of TestStreamLargeResult's result (see
// race_on_test.go).
const largeRows = 1_000_000
