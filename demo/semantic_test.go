package demo_test

import (
	"testing"

	"github.com/pxgate/pxgate/pixie"
)

// TestTimeColumnIsSTNone: the seed script's time_ (px.bin of http_events'
// time_) is TIME64NS with ST_NONE, as Vizier reports it. Pixie never types
// a column ST_TIME_NS: Stirling's canonical time_ column is TIME64NS /
// ST_NONE (src/stirling/core/canonical_types.h, kTime), px.bin has no
// semantic rule (src/carnot/funcs/builtins/math_ops.h), and a UDF without
// a matching rule yields ST_NONE (src/carnot/planner/compiler_state/
// registry_info.cc); ST_TIME_NS appears only in the enums, the type map
// and the OTel export's unit switch.
func TestTimeColumnIsSTNone(t *testing.T) {
	_, _, client := startTracing(t, -1)
	var col pixie.Collector
	if _, err := client.Execute(t.Context(), pixie.Request{Script: seedScript(t)}, &col); err != nil {
		t.Fatal(err)
	}
	tb := col.Lookup("output")
	i := tb.Meta.ColumnIndex("time_")
	if i < 0 {
		t.Fatalf("no time_ column: %+v", tb.Meta.Columns)
	}
	if c := tb.Meta.Columns[i]; c.Type != pixie.TypeTime64NS || c.SemanticType != pixie.STNone {
		t.Errorf("time_ is %s/%s, want TIME64NS/ST_NONE", c.Type, c.SemanticType)
	}
}
