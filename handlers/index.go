package handlers

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/history"
)

//go:embed templates/index.html templates/run.html
var templates embed.FS

// indexTemplate parses the page at /; it panics on a broken template, a
// programming error that every test run catches.
func indexTemplate() *template.Template {
	return template.Must(template.New("index.html").Funcs(template.FuncMap{
		"deref": func(s *string) string { return *s },
	}).ParseFS(templates, "templates/index.html"))
}

// libraryWait bounds how long the page waits for Pixie's script library.
const libraryWait = 5 * time.Second

// indexPage serves GET /: a page for people, without JavaScript, showing
// the recent runs (failed ones first, with each failed check's value,
// threshold and message, so a chaos engineer sees at a glance why a steady
// state failed) and the catalog with a curl line per script. html/template
// escapes everything shown.
func (s *server) indexPage(w http.ResponseWriter, r *http.Request) {
	data := indexData{Demo: s.opts.Demo != nil}
	for _, run := range s.history.List(false) {
		ir := newIndexRun(run)
		if run.Failed() {
			data.Failed = append(data.Failed, ir)
		} else {
			data.Passed = append(data.Passed, ir)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), libraryWait)
	defer cancel()
	list, libErr := s.catalog.List(ctx)
	if libErr != nil {
		data.LibraryError = libErr.Error()
	}
	base := baseURL(r)
	for _, sc := range list {
		as := apiScript(sc, false)
		data.Scripts = append(data.Scripts, indexScript{
			Name: as.Name, Title: as.Title, Error: as.Error, Params: as.Params, Curl: curlLine(base, as),
		})
	}
	var b bytes.Buffer
	if err := s.index.Execute(&b, data); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "rendering the index page",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
		s.writeProblem(w, r, internalProblem(r))
		return
	}
	h := w.Header()
	h.Set(headerContentType, "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

type indexData struct {
	Demo           bool
	Failed, Passed []indexRun
	Scripts        []indexScript
	LibraryError   string
}

type indexRun struct {
	ID, Time, Script, Route, Format, Duration string
	Status                                    int
	Args                                      map[string]string
	Error                                     *history.Error
	// Failing checks come first on the page; Passing after them.
	Failing, Passing []indexCheck
}

type indexCheck struct {
	Name, Value, Threshold, Unit, Message string
}

type indexScript struct {
	Name, Title, Error, Curl string
	Params                   []api.ScriptParam
}

func newIndexRun(run history.Run) indexRun {
	ir := indexRun{
		ID: run.ID, Time: run.Time.UTC().Format("2006-01-02 15:04:05Z"), Script: run.Script,
		Route: run.Route, Format: run.Format, Status: run.Status, Args: run.Args, Error: run.Error,
		Duration: strconv.FormatFloat(run.DurationMS, 'f', 1, 64) + " ms",
	}
	if run.Verdict == nil {
		return ir
	}
	for _, c := range run.Verdict.Checks {
		ic := indexCheck{Name: c.Name, Value: "none", Threshold: thresholdText(c.Threshold), Unit: c.Unit, Message: c.Message}
		if c.Value != nil {
			ic.Value = strconv.FormatFloat(*c.Value, 'g', -1, 64)
		}
		if c.Passed {
			ir.Passing = append(ir.Passing, ic)
		} else {
			ir.Failing = append(ir.Failing, ic)
		}
	}
	return ir
}

func thresholdText(t any) string {
	switch v := t.(type) {
	case nil:
		return "none"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []float64:
		parts := make([]string, len(v))
		for i, f := range v {
			parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(t)
}

// baseURL is the gateway's URL as the caller reached it, for the curl
// lines; a Host header with characters a shell would trip on is replaced.
func baseURL(r *http.Request) string {
	host := r.Host
	for _, c := range host {
		if !(c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			host = ""
			break
		}
	}
	if host == "" {
		host = "localhost:8080"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host
}

// curlLine is a command that runs the script with its defaults; required
// arguments are left as <name> placeholders. A script that needs func gets
// its live view's first function (else its first function).
func curlLine(base string, sc api.Script) string {
	var q []string
	params := sc.Params
	if sc.NeedsFunc && len(sc.Functions) > 0 {
		f := sc.Functions[0]
		for _, g := range sc.Functions {
			if g.View {
				f = g
				break
			}
		}
		q, params = append(q, "func="+url.QueryEscape(f.Name)), f.Params
	}
	for _, p := range params {
		switch {
		case p.Default != nil:
			q = append(q, url.QueryEscape(p.Name)+"="+url.QueryEscape(*p.Default))
		case p.Required:
			q = append(q, url.QueryEscape(p.Name)+"=<"+p.Name+">")
		}
	}
	u := base + "/v1/scripts/" + sc.Name + "/run"
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return "curl -fsS '" + u + "'"
}
