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

// A script refused for a conflict (a name upserted with another program)
// changes nothing either: not its deletes, not its other upserts, not the
// ttl of the tracepoints it upserts again.
func TestRefusedMutationChangesNothing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := demo.New(demo.Options{Seed: 3, Clock: func() time.Time { return now }, Window: time.Minute, DeployTime: -1})
	tp := func(name, prog string, ttl time.Duration) pxl.Tracepoint {
		return pxl.Tracepoint{Name: name, Table: name + "_table", Program: prog, TTL: ttl,
			Relation: pxl.Relation{{Name: "time_", Type: pxl.Time64}}}
	}
	if _, err := c.Mutate(pxl.Mutations{Upserts: []pxl.Tracepoint{tp("a", "p", time.Minute), tp("b", "p", time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Mutate(pxl.Mutations{Deletes: []string{"a"},
		Upserts: []pxl.Tracepoint{tp("b", "p", time.Hour), tp("c", "p", time.Minute), tp("b", "other", time.Minute)}})
	if err == nil || !strings.Contains(err.Error(), "another program") {
		t.Fatalf("a conflicting upsert: %v", err)
	}
	var names []string
	for _, info := range c.Tracepoints() {
		names = append(names, info.Name)
	}
	if got := strings.Join(names, ","); got != "a,b" {
		t.Errorf("after a refused script the tracepoints are %q, want a,b", got)
	}
	// b's ttl was not reset to an hour: two minutes on, it has expired.
	now = now.Add(2 * time.Minute)
	if n := len(c.Tracepoints()); n != 0 {
		t.Errorf("%d tracepoints two minutes on, want none (the refused script reset a ttl)", n)
	}
}
