package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/scripts"
	"github.com/pxgate/pxgate/tolerance"
)

// listScripts serves GET /v1/scripts.
func (s *server) listScripts(w http.ResponseWriter, r *http.Request) {
	list, libErr := s.catalog.List(r.Context())
	out := api.ScriptList{Scripts: make([]api.Script, 0, len(list))}
	for _, sc := range list {
		out.Scripts = append(out.Scripts, apiScript(sc, false))
	}
	if libErr != nil {
		// The local scripts are still useful; say why the library is missing.
		out.LibraryError = libErr.Error()
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// scriptGet serves GET /v1/scripts/{name} and GET /v1/scripts/{name}/run;
// names may contain slashes (px/service_let).
func (s *server) scriptGet(w http.ResponseWriter, r *http.Request) {
	name, run := scriptPath(chi.URLParam(r, "*"))
	sc, err := s.lookupScript(r.Context(), name, "name", http.StatusNotFound)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case !run && r.URL.RawQuery != "": // arguments or expect= meant for /run
		s.fail(w, r, fieldError("query", "GET /v1/scripts/%s describes the script and takes no query parameters; to run it: GET /v1/scripts/%s/run?<arguments>&expect=...", name, name))
		return
	case !run:
		s.writeJSON(w, r, http.StatusOK, apiScript(sc, true))
		return
	}
	q := queryOf(r)
	req, err := runRequestFromQuery(sc.Name, q, reservedQuery)
	if err == nil {
		err = validate(req)
	}
	var out output
	if err == nil {
		out, err = outputOf(r, q, req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out.streamed() { // streamed formats are never cached (constant memory)
		s.serveOutput(w, r, req, out)
		return
	}
	s.cached(w, r, q, func(w http.ResponseWriter, r *http.Request) { s.serveOutput(w, r, req, out) })
}

// scriptPost serves POST /v1/scripts/{name}/run with a RunRequest body
// (all fields optional; the script comes from the path).
func (s *server) scriptPost(w http.ResponseWriter, r *http.Request) {
	name, run := scriptPath(chi.URLParam(r, "*"))
	if !run {
		s.notAllowed(w, r, http.MethodGet) // POST only on /v1/scripts/{name}/run
		return
	}
	req, err := s.decodeScriptRun(r.Context(), name, r.Header.Get(headerContentType), s.limitBody(w, r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveRun(w, r, req)
}

// decodeScriptRun reads and validates the body of a POST run of catalog
// script name, in order: the script exists, the body decodes, it names no
// script of its own.
func (s *server) decodeScriptRun(ctx context.Context, name, ct string, body io.Reader) (*api.RunRequest, error) {
	if _, err := s.lookupScript(ctx, name, "name", http.StatusNotFound); err != nil {
		return nil, err
	}
	req, err := decodeRun(ct, body)
	if err != nil {
		return nil, err
	}
	if req.Script != "" || req.ScriptName != "" {
		return nil, fieldError("script", "the script to run comes from the path /v1/scripts/%s/run: leave script and script_name out of the body", name)
	}
	req.ScriptName = name
	return req, validate(req)
}

// scriptPath splits "px/service_let/run" into the script name and whether
// the run action was asked for.
func scriptPath(p string) (name string, run bool) {
	p = strings.Trim(p, "/")
	if n, ok := strings.CutSuffix(p, "/run"); ok {
		return n, true
	}
	return p, false
}

// lookupScript finds a catalog script: an unknown-script problem error
// with status (404 on script routes, 400 for a probe's parameter) naming
// field, or the failure to read Pixie's library.
func (s *server) lookupScript(ctx context.Context, name, field string, status int) (*scripts.Script, error) {
	sc, err := s.catalog.Get(ctx, name)
	switch {
	case errors.Is(err, scripts.ErrNotFound):
		pe := api.NewProblemError(api.ProblemUnknownScript, status, fmt.Sprintf("no script named %q in the catalog", name))
		pe.Problem.Errors = []api.FieldError{{Field: field, Message: pe.Problem.Detail + " (GET /v1/scripts lists them)"}}
		return nil, pe
	case err != nil:
		return nil, err // Pixie's library could not be read
	}
	return sc, nil
}

func apiScript(sc *scripts.Script, withSource bool) api.Script {
	out := api.Script{
		Name: sc.Name, Title: sc.Title, Description: sc.Description, Origin: sc.Origin,
		Entry: sc.Entry, Tables: sc.Tables, Error: sc.Error, Params: apiParams(sc.Params),
		Functions: make([]api.ScriptFunction, 0, len(sc.Functions)), NeedsFunc: sc.NeedsFunc(), Pending: sc.Pending,
	}
	for _, f := range sc.Functions {
		out.Functions = append(out.Functions, api.ScriptFunction{Name: f.Name, Description: f.Description, Params: apiParams(f.Params), View: f.View})
	}
	if withSource {
		out.Source = sc.Source
	}
	return out
}

func apiParams(ps []scripts.Param) []api.ScriptParam {
	out := make([]api.ScriptParam, 0, len(ps))
	for _, p := range ps {
		out = append(out, api.ScriptParam{Name: p.Name, Type: p.Type, Default: p.Default, Description: p.Description, Required: p.Required, ValidValues: p.ValidValues})
	}
	return out
}

// Query parameters of GET /v1/scripts/{name}/run that are not script
// arguments. A script parameter with one of these names cannot be set from
// the query string (use POST with args). format, table and csv_formulas
// are read by outputOf.
var reservedQuery = map[string]bool{
	"expect": true, "func": true, "cluster_id": true, "timeout": true, "max_rows": true,
	"tables": true, "fail_status": true, "format": true, "table": true, "csv_formulas": true,
	"baseline": true,
}

// queryError is a mistake in a GET run's query string (a 400 of its
// problem type, naming the field).
type queryError struct {
	problemType string
	field       string
	msg         string
}

func (e *queryError) Error() string { return e.msg }

// runRequestFromQuery turns GET query parameters into a RunRequest:
// reserved names are the route's own (those of the request's options are
// read here: expect= adds a compact tolerance and may repeat, func= names
// the script's function to call; the route reads the others), every other
// name is a script argument given once.
func runRequestFromQuery(name string, q url.Values, reserved map[string]bool) (*api.RunRequest, error) {
	req := &api.RunRequest{ScriptName: name}
	// In a fixed order, so that the first mistake reported is always the same.
	var buf [8]string
	for _, key := range sortedKeys(q, buf[:0]) {
		vals := q[key]
		if !reserved[key] {
			if len(vals) > 1 {
				return nil, &queryError{api.ProblemInvalidRequest, "args." + key, fmt.Sprintf("argument %s is given %d times; give it once", key, len(vals))}
			}
			if req.Args == nil {
				req.Args = make(map[string]string, len(q))
			}
			req.Args[key] = vals[0]
			continue
		}
		if key != "expect" && key != "tables" && len(vals) > 1 {
			return nil, &queryError{api.ProblemInvalidRequest, key, fmt.Sprintf("%s is given %d times; give it once", key, len(vals))}
		}
		v := vals[0]
		switch key {
		case "expect":
			for i, e := range vals {
				spec, err := tolerance.ParseExpect(e)
				if err != nil {
					field := fmt.Sprintf("expect[%d]", i)
					return nil, &queryError{api.ProblemInvalidTolerance, field, field + ": " + err.Error()}
				}
				req.Tolerances = append(req.Tolerances, spec)
			}
		case "func":
			req.Func = v
		case "cluster_id":
			req.ClusterID = v
		case "baseline":
			w, err := api.ParseWindow("baseline", v)
			if err != nil {
				return nil, err
			}
			req.Baseline = w
		case "timeout":
			req.Timeout = v
		case "tables":
			for _, t := range vals {
				req.Tables = append(req.Tables, strings.Split(t, ",")...)
			}
		case "max_rows", "fail_status":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, &queryError{api.ProblemInvalidRequest, key, fmt.Sprintf("%s must be an integer; got %q", key, v)}
			}
			if key == "max_rows" {
				req.MaxRows = &n
			} else {
				req.FailStatus = &n
			}
		}
	}
	return req, nil
}

// sortedKeys appends q's names to keys, in order: given a buffer on the
// caller's stack, a few names need no allocation.
func sortedKeys(q url.Values, keys []string) []string {
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
