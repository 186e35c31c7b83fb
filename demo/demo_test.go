package demo_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pxgate/pxgate/demo"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pxl"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

func seedScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/chaostoolkit/let.pxl")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The engine reports a script without output in Vizier's words, which
// pxgate's hint for it matches.
func TestNoDisplayMessageIsVizier(t *testing.T) {
	if pxl.NoDisplayMessage != fakevizier.NoDisplayMessage {
		t.Errorf("pxl says %q, the fake Vizier %q", pxl.NoDisplayMessage, fakevizier.NoDisplayMessage)
	}
}

// A demo Vizier address that cannot be listened on is an error naming it.
func TestStartBadAddress(t *testing.T) {
	_, err := demo.Start(t.Context(), demo.Options{VizierAddr: "256.0.0.1:1"})
	if err == nil {
		t.Fatal("started on 256.0.0.1")
	}
	if want := "256.0.0.1:1"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// TestOverTheWire starts the demo and queries its Vizier with pxgate's own
// Pixie client, concurrently: rows with their types, exec_funcs with a list
// result, and compile errors at Vizier's positions.
func TestOverTheWire(t *testing.T) {
	clock := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	telemetry := pxldemo.New(pxldemo.Options{Seed: 8, Clock: func() time.Time { return clock }, Window: 3 * time.Minute})
	_, client := gatewaytest.DemoClient(t, telemetry, 0)
	script := seedScript(t)

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			var col pixie.Collector
			sum, err := client.Execute(context.Background(), pixie.Request{Script: script}, &col)
			if err != nil {
				t.Error(err)
				return
			}
			tb := col.Lookup("output")
			if tb == nil || tb.Meta.ColumnIndex("latency_p99") < 0 {
				t.Errorf("no output table with latency_p99: %+v", col)
				return
			}
			i := tb.Meta.ColumnIndex("latency_p99")
			if tb.Meta.Columns[i].Type != pixie.TypeInt64 || tb.Meta.Columns[i].SemanticType != pixie.STDurationNS {
				t.Errorf("latency_p99: %+v", tb.Meta.Columns[i])
			}
			if n := len(tb.Cols[i].Int64); n < 12 {
				t.Errorf("%d rows over the wire", n)
			}
			if sum.Stats.RecordsProcessed == 0 {
				t.Errorf("no execution stats: %+v", sum)
			}
		})
	}
	wg.Wait()

	// exec_funcs with a list result, and a compile error, over the wire.
	var col pixie.Collector
	_, err := client.Execute(t.Context(), pixie.Request{Script: `
import px
def two(service: px.Service):
    df = px.DataFrame('http_events', start_time='-1m')
    df = df[px.has_service_name(df.ctx['service'], service)]
    return [df.head(3), df.agg(n=('latency', px.count))]
`, Func: &pixie.Func{Name: "two", OutputPrefix: "t", Args: []pixie.Arg{{Name: "service", Value: "default/cart"}}}}, &col)
	if err != nil {
		t.Fatal(err)
	}
	if col.Lookup("t[0]") == nil || col.Lookup("t[1]") == nil || len(col.Tables) != 2 {
		t.Errorf("tables %+v, want t[0] and t[1]", col.Tables)
	}
	_, err = client.Execute(t.Context(), pixie.Request{Script: "import px\ndf = px.DataFrame('http_events')\ndf.x = df.nope\npx.display(df)\n"}, &pixie.Collector{})
	var ce *pixie.CompileError
	if !errors.As(err, &ce) || len(ce.Errors) != 1 || ce.Errors[0].Line != 3 || ce.Errors[0].Column != 8 {
		t.Errorf("error %v, want a compile error at 3:8", err)
	}
}
