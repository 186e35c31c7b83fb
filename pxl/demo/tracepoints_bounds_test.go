package demo_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pxl"
	"github.com/pxgate/pxgate/pxl/demo"
)

// Anyone may deploy the demo's tracepoints (with PXGATE_ALLOW_MUTATIONS):
// their number and lifetime are bounded, and a refused script changes
// nothing.
func TestTracepointBounds(t *testing.T) {
	t.Parallel()
	c := demo.New(demo.Options{Seed: 3, Clock: func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }, Window: time.Minute})
	tp := func(i int, ttl time.Duration) pxl.Tracepoint {
		return pxl.Tracepoint{Name: fmt.Sprintf("tp%d", i), Table: fmt.Sprintf("t%d", i), Program: "p", TTL: ttl,
			Relation: pxl.Relation{{Name: "time_", Type: pxl.Time64}}}
	}
	if _, err := c.Mutate(pxl.Mutations{Upserts: []pxl.Tracepoint{tp(0, demo.MaxTracepointTTL+time.Hour)}}); err == nil || !strings.Contains(err.Error(), "longer than the demo keeps") {
		t.Errorf("a ttl past the bound: %v", err)
	}
	var many []pxl.Tracepoint
	for i := range demo.MaxTracepoints + 1 {
		many = append(many, tp(i, time.Minute))
	}
	if _, err := c.Mutate(pxl.Mutations{Upserts: many}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("one tracepoint too many: %v", err)
	}
	if n := len(c.Tracepoints()); n != 0 {
		t.Errorf("refused scripts left %d tracepoints", n)
	}
	if _, err := c.Mutate(pxl.Mutations{Upserts: many[:demo.MaxTracepoints]}); err != nil {
		t.Errorf("as many as allowed: %v", err)
	}
	if n := len(c.Tracepoints()); n != demo.MaxTracepoints {
		t.Errorf("%d tracepoints after deploying %d", n, demo.MaxTracepoints)
	}
	// At the bound, one more is refused unless the script deletes one.
	if _, err := c.Mutate(pxl.Mutations{Upserts: many[demo.MaxTracepoints:]}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("one more at the bound: %v", err)
	}
	if _, err := c.Mutate(pxl.Mutations{Deletes: []string{"tp0"}, Upserts: many[demo.MaxTracepoints:]}); err != nil {
		t.Errorf("one more in place of a deleted one: %v", err)
	}
}
