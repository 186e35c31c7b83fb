package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/chart"
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/tolerance"
)

// contentTypeSVG is the media type of a check's chart.
const contentTypeSVG = "image/svg+xml"

// runTemplate parses a run's page; it panics on a broken template, a
// programming error that every test run catches.
func runTemplate() *template.Template {
	return template.Must(template.New("run.html").ParseFS(templates, "templates/run.html"))
}

// lookupRun finds run id: the unknown-run problem when the history has
// no such run.
func (s *server) lookupRun(id string) (history.Run, error) {
	run, ok := s.history.Get(id)
	if !ok {
		return run, api.NewProblemError(api.ProblemUnknownRun, http.StatusNotFound,
			fmt.Sprintf("no run %q in this gateway's history (it keeps the last %d runs and failures; GET /v1/runs lists them, and each replica has its own)", id, s.opts.HistorySize))
	}
	return run, nil
}

// checkChart serves GET /v1/runs/{id}/checks/{n}.svg: check n's chart,
// an SVG image to embed in a report, a chat message or a wiki.
func (s *server) checkChart(w http.ResponseWriter, r *http.Request) {
	run, err := s.lookupRun(chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	checks := 0
	if run.Verdict != nil {
		checks = len(run.Verdict.Checks)
	}
	if err != nil || n < 0 || n >= checks {
		detail := fmt.Sprintf("run %s has no check %q: its checks are numbered from 0 to %d", run.ID, chi.URLParam(r, "n"), checks-1)
		if checks == 0 {
			detail = fmt.Sprintf("run %s has no checks to chart: it had no tolerances, or its query failed", run.ID)
		}
		s.fail(w, r, api.NewProblemError(api.ProblemNotFound, http.StatusNotFound, detail))
		return
	}
	var b bytes.Buffer
	if err := chart.Render(&b, chartOf(run.Verdict.Checks[n])); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set(headerContentType, contentTypeSVG)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}

// chartOf is the chart of a recorded check.
func chartOf(c history.Check) chart.Chart {
	ch := chart.Chart{Title: c.Name, Passed: c.Passed, YLabel: "value"}
	s := c.Series
	if s == nil {
		ch.Note = "nothing to draw: the check reads no column over a time column (time_)"
		return ch
	}
	ch.YLabel = s.Column
	if s.Unit != "" {
		ch.YLabel += " (" + s.Unit + ")"
	}
	switch th := c.Threshold.(type) {
	case float64:
		ch.Thresholds = []float64{th * s.Scale}
	case []float64:
		for _, v := range th {
			ch.Thresholds = append(ch.Thresholds, v*s.Scale)
		}
	}
	for _, p := range s.Points {
		fail := c.Threshold != nil && !tolerance.Holds(s.Compare, c.Threshold, p.V/s.Scale)
		ch.Current = append(ch.Current, chart.Point{T: time.Unix(0, p.T), V: p.V, Fail: fail})
	}
	for _, p := range s.Baseline {
		ch.Baseline = append(ch.Baseline, chart.Point{T: time.Unix(0, p.T), V: p.V})
	}
	ch.BandStart, ch.BandEnd = s.BaselineStart, s.BaselineEnd
	var notes []string
	if len(s.Points) == 0 {
		notes = append(notes, "the run had no rows")
	}
	if s.Downsampled {
		notes = append(notes, fmt.Sprintf("downsampled to at most %d points per window (the larger of neighbours kept)", history.MaxSeriesPoints))
	}
	ch.Note = strings.Join(notes, "; ")
	return ch
}

// wantsHTML says whether a GET asks for a page rather than JSON (a
// browser's Accept lists text/html; curl's and clients' do not).
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// runPage is the data of a run's page.
type runPage struct {
	Run    history.Run
	Checks []runPageCheck
}

// runPageCheck is one check on a run's page, with its chart inline.
type runPageCheck struct {
	N     int
	Check history.Check
	SVG   template.HTML // chart.Render's output: escaped by the chart package
}

// serveRunPage answers a run as an HTML page: each check with its values
// and its chart inline (SVG, no script).
func (s *server) serveRunPage(w http.ResponseWriter, r *http.Request, run history.Run) {
	page := runPage{Run: run}
	if run.Verdict != nil {
		for i, c := range run.Verdict.Checks {
			var b bytes.Buffer
			_ = chart.Render(&b, chartOf(c))                                                                // a bytes.Buffer does not fail
			page.Checks = append(page.Checks, runPageCheck{N: i, Check: c, SVG: template.HTML(b.String())}) //nolint:gosec // chart escapes every text
		}
	}
	var b bytes.Buffer
	if err := s.runPage.Execute(&b, page); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "rendering a run's page", slog.String("err", err.Error()))
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set(headerContentType, "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}
