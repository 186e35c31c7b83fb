package chart_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/chart"
)

// elements parses an SVG document and counts its elements by class.
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	counts := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return counts
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					counts["."+a.Value]++
				}
			}
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	c := chart.Chart{
		Title: `p99(latency_p99) < 1.5x baseline & <script>`, YLabel: "latency_p99 (ms)",
		Thresholds: []float64{225},
		BandStart:  t0, BandEnd: t0.Add(9 * time.Minute),
	}
	for i := range 54 {
		c.Baseline = append(c.Baseline, chart.Point{T: t0.Add(time.Duration(i) * 10 * time.Second), V: 150})
	}
	for i := range 6 {
		v := 120.0 + float64(i)*40
		c.Current = append(c.Current, chart.Point{T: t0.Add(9*time.Minute + time.Duration(i)*10*time.Second), V: v, Fail: v >= 225})
	}
	var b bytes.Buffer
	if err := chart.Render(&b, c); err != nil {
		t.Fatal(err)
	}
	got := elements(t, b.Bytes())
	want := map[string]int{"svg": 1, ".series": 1, ".baseline-series": 1, ".threshold": 1, ".baseline-band": 1, ".fail": 3, ".title": 1, ".ylabel": 1, ".xlabel": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d elements, want %d", k, got[k], n)
		}
	}
	for _, s := range []string{"latency_p99 (ms)", "FAIL", "&lt;script&gt;", "time (UTC)"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the chart lacks %q", s)
		}
	}
	if strings.Contains(b.String(), "<script>") {
		t.Error("the title is not escaped")
	}
}

// A chart of nothing (no rows, no threshold) is still a valid image.
func TestRenderEmpty(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := chart.Render(&b, chart.Chart{Title: "count() > 0", Passed: true, Note: "the run had no rows"}); err != nil {
		t.Fatal(err)
	}
	if got := elements(t, b.Bytes()); got["svg"] != 1 || got[".note"] != 1 || got[".series"] != 0 {
		t.Errorf("elements %v", got)
	}
}

// The y ticks are the steps the scale was rounded to, also when values go
// below zero (a delta): -7 to 3 is ticked every 2 from -8, not every 5
// from -8 (-3, 2: not round numbers).
func TestYTicksAreRound(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	c := chart.Chart{Title: "min(delta) >= -10", Current: []chart.Point{{T: t0, V: -7}, {T: t0.Add(time.Minute), V: 3}}}
	var b bytes.Buffer
	if err := chart.Render(&b, c); err != nil {
		t.Fatal(err)
	}
	var ticks []string
	dec := xml.NewDecoder(&b)
	for in := false; ; {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local == "text" && len(tok.Attr) > 0 && tok.Attr[0].Value == "ytick"
		case xml.CharData:
			if in {
				ticks = append(ticks, string(tok))
			}
		case xml.EndElement:
			in = false
		}
	}
	if got, want := strings.Join(ticks, " "), "-8 -6 -4 -2 0 2 4"; got != want {
		t.Errorf("y ticks %q, want %q", got, want)
	}
}

// A baseline window without an end is no band: it draws none and does not
// stretch the time axis (a zero time is some 2000 years before the points).
func TestRenderBandWithoutEnd(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	c := chart.Chart{Title: "max(x) < 1", BandStart: t0, Current: []chart.Point{{T: t0, V: 1}, {T: t0.Add(time.Minute), V: 2}}}
	var b bytes.Buffer
	if err := chart.Render(&b, c); err != nil {
		t.Fatal(err)
	}
	if got := elements(t, b.Bytes()); got[".baseline-band"] != 0 {
		t.Errorf("%d baseline bands, want none", got[".baseline-band"])
	}
	if !strings.Contains(b.String(), ">03:00:00</text>") || !strings.Contains(b.String(), ">03:01:00</text>") {
		t.Errorf("the time axis does not span the points' minute:\n%s", b.String())
	}
}
