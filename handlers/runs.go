package handlers

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/pxgate/pxgate/api"
)

// listRuns serves GET /v1/runs: the recent runs of this replica, newest
// first; ?failed=true keeps the failed ones (a failed check or an error).
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	failed := false
	if v := queryOf(r).Get("failed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, r, fieldError("failed", "failed must be true or false; got %q", v))
			return
		}
		failed = b
	}
	s.writeJSON(w, r, http.StatusOK, api.RunList{Runs: s.history.List(failed)})
}

// getRun serves GET /v1/runs/{id}: JSON, or a page with each check's
// chart for a browser (Accept: text/html).
func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.lookupRun(chi.URLParam(r, "id"))
	switch {
	case err != nil:
		s.fail(w, r, err)
	case wantsHTML(r):
		s.serveRunPage(w, r, run)
	default:
		s.writeJSON(w, r, http.StatusOK, run)
	}
}
