// Package chart draws one check of a run as a self-contained SVG image:
// the checked column over time, the threshold line (or band of a
// between), the baseline window as a shaded band with its points, and
// the points that break the threshold marked. No script, no external
// asset, no font download: it renders offline, behind a proxy, inline in
// an HTML page or on its own (image/svg+xml).
package chart

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Point is one value of a series at a time.
type Point struct {
	T time.Time
	V float64
	// Fail marks a point that breaks the check's threshold.
	Fail bool
}

// Chart is what Render draws. Values and thresholds are in the same unit.
type Chart struct {
	// Title is the check, such as "p99(latency_p99) < 1.5x baseline".
	Title string
	// Passed is the check's verdict, shown after the title.
	Passed bool
	// YLabel names the axis: the column and its unit ("latency_p99 (ms)").
	YLabel string
	// Current are the run's own points; Baseline the baseline window's.
	Current, Baseline []Point
	// Thresholds are the threshold lines: one, or two for a range; none
	// when the check has none.
	Thresholds []float64
	// BandStart and BandEnd bound the baseline window; zero: none.
	BandStart, BandEnd time.Time
	// Note is shown under the plot ("no rows to draw", downsampling).
	Note string
}

// Size of the image and of its plot area, in SVG user units.
const (
	width, height             = 720, 320
	left, right, top, bottom  = 78, 20, 44, 48
	plotW, plotH              = width - left - right, height - top - bottom
	yTicks, xTicks            = 5, 5
	colorCurrent, colorBase   = "#1f6feb", "#8b949e"
	colorFail, colorThreshold = "#d1242f", "#bf8700"
	colorBand                 = "#8b949e"
	fontFamily                = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"
)

// scale maps data to the plot area.
type scale struct {
	t0, t1 int64
	v0, v1 float64
	step   float64 // between y ticks; v0 and v1 are multiples of it
}

func (s scale) x(t time.Time) float64 {
	return left + float64(t.UnixNano()-s.t0)/float64(s.t1-s.t0)*plotW
}

func (s scale) y(v float64) float64 {
	return top + plotH - (v-s.v0)/(s.v1-s.v0)*plotH
}

// Render writes c as an SVG document.
func Render(w io.Writer, c Chart) error {
	var b strings.Builder
	s := bounds(c)
	verdict, color := "pass", "#1a7f37"
	if !c.Passed {
		verdict, color = "fail", colorFail
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="pxgate-chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="%s" font-size="12">`, width, height, width, height, fontFamily)
	fmt.Fprintf(&b, `<title>%s: %s</title>`, esc(c.Title), verdict)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text class="title" x="%d" y="22" font-size="14" font-weight="600">%s <tspan class="verdict" fill="%s">%s</tspan></text>`, left, esc(c.Title), color, strings.ToUpper(verdict))
	if c.hasBand() {
		x0, x1 := s.x(c.BandStart), s.x(c.BandEnd)
		fmt.Fprintf(&b, `<rect class="baseline-band" x="%s" y="%d" width="%s" height="%d" fill="%s" fill-opacity="0.15"><title>baseline window %s to %s</title></rect>`,
			num(x0), top, num(x1-x0), plotH, colorBand, stamp(c.BandStart), stamp(c.BandEnd))
		fmt.Fprintf(&b, `<text x="%s" y="%d" fill="#57606a" font-size="11">baseline</text>`, num(x0+4), top+12)
	}
	axes(&b, s, c.YLabel)
	for _, th := range c.Thresholds {
		y := s.y(th)
		fmt.Fprintf(&b, `<line class="threshold" x1="%d" x2="%d" y1="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"><title>threshold %s</title></line>`,
			left, left+plotW, num(y), num(y), colorThreshold, label(th))
		fmt.Fprintf(&b, `<text x="%d" y="%s" fill="%s" font-size="11" text-anchor="end">%s</text>`, left+plotW-2, num(y-4), colorThreshold, label(th))
	}
	series(&b, s, "baseline-series", colorBase, c.Baseline)
	series(&b, s, "series", colorCurrent, c.Current)
	for _, p := range c.Current {
		if p.Fail {
			fmt.Fprintf(&b, `<circle class="fail" cx="%s" cy="%s" r="4" fill="%s"><title>%s: %s breaks the threshold</title></circle>`,
				num(s.x(p.T)), num(s.y(p.V)), colorFail, stamp(p.T), label(p.V))
		}
	}
	if c.Note != "" {
		fmt.Fprintf(&b, `<text class="note" x="%d" y="%d" fill="#57606a" font-size="11">%s</text>`, left, height-6, esc(c.Note))
	}
	b.WriteString(`</svg>`)
	_, err := io.WriteString(w, b.String())
	return err
}

// hasBand reports whether c has a baseline window to draw: both bounds,
// in order. The scale makes room for the band only when it is drawn.
func (c Chart) hasBand() bool {
	return !c.BandStart.IsZero() && c.BandEnd.After(c.BandStart)
}

// bounds is the scale that shows every point, the band and the thresholds.
func bounds(c Chart) scale {
	s := scale{t0: math.MaxInt64, t1: math.MinInt64, v0: math.Inf(1), v1: math.Inf(-1)}
	addT := func(t time.Time) {
		s.t0, s.t1 = min(s.t0, t.UnixNano()), max(s.t1, t.UnixNano())
	}
	addV := func(v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s.v0, s.v1 = math.Min(s.v0, v), math.Max(s.v1, v)
		}
	}
	for _, ps := range [][]Point{c.Current, c.Baseline} {
		for _, p := range ps {
			addT(p.T)
			addV(p.V)
		}
	}
	if c.hasBand() {
		addT(c.BandStart)
		addT(c.BandEnd)
	}
	for _, th := range c.Thresholds {
		addV(th)
	}
	if s.t0 >= s.t1 {
		if s.t0 == math.MaxInt64 {
			s.t0 = 0
		}
		s.t0, s.t1 = s.t0-int64(time.Minute), s.t0+int64(time.Minute)
	}
	if math.IsInf(s.v0, 0) {
		s.v0, s.v1 = 0, 1
	}
	s.v0 = math.Min(s.v0, 0) // values from 0: ratios read true
	if s.v1 <= s.v0 {
		s.v1 = s.v0 + 1
	}
	s.step = niceStep((s.v1 - s.v0) / yTicks)
	s.v0, s.v1 = math.Floor(s.v0/s.step)*s.step, math.Ceil(s.v1*1.05/s.step)*s.step
	return s
}

// axes draws the frame, the ticks and the axis labels.
func axes(b *strings.Builder, s scale, ylabel string) {
	fmt.Fprintf(b, `<g class="axes" stroke="#d0d7de">`)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d"/>`, left, left, top, top+plotH)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d"/>`, left, left+plotW, top+plotH, top+plotH)
	b.WriteString(`</g>`)
	for v := s.v0; v <= s.v1+s.step/2; v += s.step {
		y := s.y(v)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#eaeef2"/>`, left, left+plotW, num(y), num(y))
		fmt.Fprintf(b, `<text class="ytick" x="%d" y="%s" text-anchor="end" fill="#57606a">%s</text>`, left-6, num(y+4), label(v))
	}
	span := time.Duration(s.t1 - s.t0)
	layout := "15:04:05"
	if span > 24*time.Hour {
		layout = "01-02 15:04"
	}
	for i := 0; i <= xTicks; i++ {
		t := time.Unix(0, s.t0+int64(float64(s.t1-s.t0)*float64(i)/xTicks)).UTC()
		x := s.x(t)
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%d" y2="%d" stroke="#d0d7de"/>`, num(x), num(x), top+plotH, top+plotH+4)
		anchor := "middle"
		if i == xTicks {
			anchor = "end"
		}
		fmt.Fprintf(b, `<text class="xtick" x="%s" y="%d" text-anchor="%s" fill="#57606a">%s</text>`, num(x), top+plotH+17, anchor, t.Format(layout))
	}
	fmt.Fprintf(b, `<text class="xlabel" x="%d" y="%d" text-anchor="middle" fill="#24292f">time (UTC)</text>`, left+plotW/2, top+plotH+34)
	fmt.Fprintf(b, `<text class="ylabel" transform="translate(16 %d) rotate(-90)" text-anchor="middle" fill="#24292f">%s</text>`, top+plotH/2, esc(ylabel))
}

// series draws points as a line with a dot per point.
func series(b *strings.Builder, s scale, class, color string, ps []Point) {
	if len(ps) == 0 {
		return
	}
	var d strings.Builder
	for i, p := range ps {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&d, "%s%s %s ", cmd, num(s.x(p.T)), num(s.y(p.V)))
	}
	fmt.Fprintf(b, `<path class="%s" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, class, strings.TrimSpace(d.String()), color)
	for _, p := range ps {
		fmt.Fprintf(b, `<circle class="%s-point" cx="%s" cy="%s" r="2" fill="%s"><title>%s: %s</title></circle>`, class, num(s.x(p.T)), num(s.y(p.V)), color, stamp(p.T), label(p.V))
	}
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// num formats a coordinate.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// label formats a value for a tick or a tooltip: at most 4 significant digits.
func label(v float64) string {
	switch a := math.Abs(v); {
	case v == 0:
		return "0"
	case a >= 1e4 && a < 1e12:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// stamp formats a time for a tooltip.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// esc escapes text for SVG (XML).
func esc(s string) string { return html.EscapeString(s) }
