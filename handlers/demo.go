package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/pxgate/pxgate/api"
)

// DemoCluster is the embedded demo cluster's load knob (*demo.Cluster).
type DemoCluster interface {
	// AddLoad adds extraRPS requests per second to a service for d. An
	// error with a LoadLimit() method returning true means the cluster has
	// no room for the load now (409); any other, a bad request (400).
	AddLoad(service string, extraRPS float64, d time.Duration) error
	// Services lists the demo's services (namespace/name).
	Services() []string
}

// maxDemoLoad bounds one load request's duration.
const maxDemoLoad = 30 * time.Minute

// demoInfo serves GET /v1/demo.
func (s *server) demoInfo(w http.ResponseWriter, r *http.Request) {
	if !s.demoMode(w, r) {
		return
	}
	s.writeJSON(w, r, http.StatusOK, api.DemoInfo{Services: s.opts.DemoCluster.Services()})
}

// demoLoad serves POST /v1/demo/load: more traffic on a demo service, so
// that a chaos experiment's method can push it past its capacity.
func (s *server) demoLoad(w http.ResponseWriter, r *http.Request) {
	if !s.demoMode(w, r) {
		return
	}
	if p, ok := checkContentType(r); !ok {
		s.writeProblem(w, r, p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	req, err := api.DecodeDemoLoad(r.Body)
	switch {
	case s.tooLarge(w, r, err):
		return
	case err != nil:
		s.invalidRequest(w, r, err)
		return
	}
	d := req.DurationValue()
	if d > maxDemoLoad {
		s.invalidRequest(w, r, fieldError("duration", "duration %s is longer than the demo allows (%s)", d, maxDemoLoad))
		return
	}
	if err := s.opts.DemoCluster.AddLoad(req.Service, req.RPS, d); err != nil {
		var full interface{ LoadLimit() bool }
		if errors.As(err, &full) && full.LoadLimit() {
			s.writeProblem(w, r, newProblem(api.ProblemDemoLoadLimit, http.StatusConflict, err.Error()))
			return
		}
		s.invalidRequest(w, r, fieldError("service", "%s", err))
		return
	}
	s.writeJSON(w, r, http.StatusAccepted, api.DemoLoadAccepted{
		Service: req.Service, RPS: req.RPS, Duration: d.String(), Until: time.Now().Add(d).UTC().Format(time.RFC3339),
	})
}

func (s *server) demoMode(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.DemoCluster != nil {
		return true
	}
	s.writeProblem(w, r, newProblem(api.ProblemNotFound, http.StatusNotFound,
		"the demo load knob exists only when pxgate serves its embedded demo cluster (PXGATE_DEMO)"))
	return false
}
