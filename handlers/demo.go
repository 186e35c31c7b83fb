package handlers

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/pxgate/pxgate/api"
)

// DemoCluster is the embedded demo cluster's load knob (*demo.Demo).
type DemoCluster interface {
	// AddLoad adds extraRPS requests per second to a service for d. An
	// error with a RetryAfter() method means the cluster has no room for
	// the load until then (429); any other is a bad request (400), about
	// the argument its Field() method names, if it has one.
	AddLoad(service string, extraRPS float64, d time.Duration) error
	// Services lists the demo's services (namespace/name).
	Services() []string
	// LoadNow is the extra load running on a service now (requests per
	// second) and when the last of it ends; 0 when none runs.
	LoadNow(service string) (extraRPS float64, until time.Time)
}

// maxDemoLoad bounds one load request's duration.
const maxDemoLoad = 30 * time.Minute

// demoInfo serves GET /v1/demo.
func (s *server) demoInfo(w http.ResponseWriter, r *http.Request) {
	if err := s.demoMode(); err != nil {
		s.fail(w, r, err)
		return
	}
	info := api.DemoInfo{Services: s.opts.Demo.Services(), Load: map[string]api.DemoServiceLoad{}}
	for _, svc := range info.Services {
		if rps, until := s.opts.Demo.LoadNow(svc); rps > 0 {
			info.Load[svc] = api.DemoServiceLoad{ExtraRPS: rps, Until: until.Format(time.RFC3339)}
		}
	}
	s.writeJSON(w, r, http.StatusOK, info)
}

// demoLoad serves POST /v1/demo/load: more traffic on a demo service, so
// that a chaos experiment's method can push it past its capacity.
func (s *server) demoLoad(w http.ResponseWriter, r *http.Request) {
	req, err := s.addLoad(r.Header.Get(headerContentType), s.limitBody(w, r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := req.DurationValue()
	s.writeJSON(w, r, http.StatusAccepted, api.DemoLoadAccepted{
		Service: req.Service, RPS: req.RPS, Duration: d.String(), Until: s.clock().Add(d).UTC().Format(time.RFC3339), // the demo's clock, as its loads'
	})
}

// addLoad reads a load request of Content-Type ct and adds the load.
func (s *server) addLoad(ct string, body io.Reader) (*api.DemoLoad, error) {
	if err := s.demoMode(); err != nil {
		return nil, err
	}
	if err := checkContentType(ct); err != nil {
		return nil, err
	}
	req, err := api.DecodeDemoLoad(body)
	if err != nil {
		return nil, invalid(err)
	}
	d := req.DurationValue()
	if d > maxDemoLoad {
		return nil, invalid(fieldError("duration", "duration %s is longer than the demo allows (%s)", d, maxDemoLoad))
	}
	if err := s.opts.Demo.AddLoad(req.Service, req.RPS, d); err != nil {
		var (
			full interface{ RetryAfter() time.Duration }
			arg  interface{ Field() string }
		)
		switch {
		case errors.As(err, &full):
			pe := api.NewProblemError(api.ProblemDemoLoadLimit, http.StatusTooManyRequests, err.Error())
			pe.RetryAfter = full.RetryAfter()
			return nil, pe
		case errors.As(err, &arg):
			return nil, invalid(fieldError(arg.Field(), "%s", err))
		}
		return nil, invalid(err)
	}
	return req, nil
}

// demoMode is nil in demo mode, else the 404 of the demo's routes.
func (s *server) demoMode() error {
	if s.opts.Demo != nil {
		return nil
	}
	return api.NewProblemError(api.ProblemNotFound, http.StatusNotFound,
		"the demo load knob exists only when pxgate serves its embedded demo cluster (PXGATE_DEMO)")
}
