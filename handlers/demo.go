package handlers

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pxgate/pxgate/api"
)

// DemoCluster is the embedded demo cluster's load knob (*demo.Cluster).
type DemoCluster interface {
	// AddLoad adds extraRPS requests per second to a service for d. An
	// error with a RetryAfter() method means the cluster has no room for
	// the load until then (429); any other is a bad request (400), about
	// the argument its Field() method names, if it has one.
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
		var (
			full interface{ RetryAfter() time.Duration }
			arg  interface{ Field() string }
		)
		switch {
		case errors.As(err, &full):
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(full.RetryAfter().Seconds())))))
			s.writeProblem(w, r, api.NewProblem(api.ProblemDemoLoadLimit, http.StatusTooManyRequests, err.Error()))
		case errors.As(err, &arg):
			s.invalidRequest(w, r, fieldError(arg.Field(), "%s", err))
		default:
			s.invalidRequest(w, r, err)
		}
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
	s.writeProblem(w, r, api.NewProblem(api.ProblemNotFound, http.StatusNotFound,
		"the demo load knob exists only when pxgate serves its embedded demo cluster (PXGATE_DEMO)"))
	return false
}
