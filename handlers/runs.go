package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/pxgate/pxgate/api"
)

// listRuns serves GET /v1/runs: the recent runs of this replica, newest
// first; ?failed=true keeps the failed ones (a failed check or an error).
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	failed := false
	if v := r.URL.Query().Get("failed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, r, fieldError("failed", "failed must be true or false; got %q", v))
			return
		}
		failed = b
	}
	s.writeJSON(w, r, http.StatusOK, api.RunList{Runs: s.history.List(failed)})
}

// getRun serves GET /v1/runs/{id}.
func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	run, ok := s.history.Get(id)
	if !ok {
		s.fail(w, r, api.NewProblemError(api.ProblemUnknownRun, http.StatusNotFound,
			fmt.Sprintf("no run %q in this gateway's history (it keeps the last %d runs and failures; GET /v1/runs lists them, and each replica has its own)", id, s.opts.HistorySize)))
		return
	}
	s.writeJSON(w, r, http.StatusOK, run)
}
