package api

import (
	"io"
	"math"
	"time"
)

// DemoLoad is the body of POST /v1/demo/load.
type DemoLoad struct {
	// Service is a demo service, namespace/name or name.
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
}
