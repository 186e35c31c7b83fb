package api

import (
	"io"
	"math"
	"strings"
	"time"
)

// DemoLoad is the body of POST /v1/demo/load.
type DemoLoad struct {
	// Service is a demo service as namespace/name (a bare name is refused).
	Service string `json:"service"`
	// RPS is the extra requests per second.
	RPS float64 `json:"rps"`
	// Duration is how long the extra load lasts, a Go duration ("60s").
	Duration string `json:"duration"`
}

// DecodeDemoLoad reads and validates a DemoLoad body.
func DecodeDemoLoad(r io.Reader) (*DemoLoad, error) {
	var d DemoLoad
	if err := decodeObject(r, &d); err != nil {
		return nil, err
	}
	switch {
	case d.Service == "":
		return nil, fieldErrorf("service", "service is required, e.g. default/consumer")
	case !strings.Contains(d.Service, "/"):
		return nil, fieldErrorf("service", "service %q must be namespace/name, as scripts' px.Service arguments are, e.g. default/%s", d.Service, d.Service)
	case !(d.RPS > 0) || math.IsInf(d.RPS, 0):
		return nil, fieldErrorf("rps", "rps must be a positive number of extra requests per second")
	}
	if dur, err := time.ParseDuration(d.Duration); err != nil || dur <= 0 {
		return nil, fieldErrorf("duration", "duration must be a positive Go duration such as \"60s\"; got %q", d.Duration)
	}
	return &d, nil
}

// DurationValue is Duration parsed (valid after DecodeDemoLoad).
func (d *DemoLoad) DurationValue() time.Duration {
	v, _ := time.ParseDuration(d.Duration)
	return v
}

// DemoLoadAccepted is the answer to POST /v1/demo/load.
type DemoLoadAccepted struct {
	Service  string  `json:"service"`
	RPS      float64 `json:"rps"`
	Duration string  `json:"duration"`
	// Until is when the extra load ends (RFC 3339).
	Until string `json:"until"`
}

// DemoInfo is the body of GET /v1/demo.
type DemoInfo struct {
	Services []string `json:"services"`
	// Load holds the services with extra load running now (added with
	// POST /v1/demo/load), so that an experiment can check that its load
	// took effect.
	Load map[string]DemoServiceLoad `json:"load"`
}

// DemoServiceLoad is the extra load running on one demo service.
type DemoServiceLoad struct {
	// ExtraRPS is the extra requests per second now, all loads together.
	ExtraRPS float64 `json:"extra_rps"`
	// Until is when the last of those loads ends (RFC 3339).
	Until string `json:"until"`
}
