package api

import (
	"strconv"
	"strings"
	"time"
)

// Window is a time window given by the caller: the baseline of a run's
// checks (RunRequest.Baseline, or the query parameter baseline=START..END).
// Each bound is relative to now (a negative Go duration such as "-10m",
// "-1h30m", or "now") or an absolute RFC 3339 time.
type Window struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// ParseWindow reads the query-parameter form "START..END" (for example
// "-10m..-1m"). field names the parameter in errors.
func ParseWindow(field, s string) (*Window, error) {
	start, end, ok := strings.Cut(s, "..")
	if !ok {
		return nil, fieldErrorf(field, "%s %q is not a window: write START..END, such as %s=-10m..-1m (relative to now) or two RFC 3339 times", field, s, field)
	}
	return &Window{Start: strings.TrimSpace(start), End: strings.TrimSpace(end)}, nil
}

// validate checks the bounds' syntax; field is the window's name.
func (w *Window) validate(field string) error {
	for _, b := range []struct{ name, v string }{{"start", w.Start}, {"end", w.End}} {
		if _, err := ParseBound(field+"."+b.name, b.v, time.Unix(0, 0)); err != nil {
			return err
		}
	}
	return nil
}

// ParseBound reads one bound of a window, relative to now. field names it
// in errors (a *RequestError).
func ParseBound(field, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, fieldErrorf(field, "%s is empty: give a time relative to now (\"-10m\") or an RFC 3339 time", field)
	case s == "now":
		return now, nil
	}
	if d, ok := RelativeDuration(s); ok {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fieldErrorf(field, "%s %q is neither a time relative to now (a negative duration such as \"-10m\" or \"-1h30m\") nor an RFC 3339 time (\"2026-01-02T15:04:05Z\")", field, s)
}

// RelativeDuration reads a time relative to now as Pixie writes it: a Go
// duration with a sign ("-5m", "-1h30m", "+1m"); "d" counts 24 hours
// ("-1d"). ok=false when s is not one.
func RelativeDuration(s string) (time.Duration, bool) {
	if len(s) < 2 || (s[0] != '-' && s[0] != '+') {
		return 0, false
	}
	body, days := s[1:], time.Duration(0)
	if n, rest, ok := strings.Cut(body, "d"); ok {
		// Digits only, as written ("-1d", not "--1d" nor "-01d").
		k, err := strconv.Atoi(n)
		if err != nil || k < 0 || k > 366 || strconv.Itoa(k) != n {
			return 0, false
		}
		days, body = time.Duration(k)*24*time.Hour, rest
	}
	d := time.Duration(0)
	if body != "" {
		if body[0] == '-' || body[0] == '+' { // one sign, in front
			return 0, false
		}
		var err error
		if d, err = time.ParseDuration(body); err != nil {
			return 0, false
		}
	}
	d += days
	if s[0] == '-' {
		d = -d
	}
	return d, true
}
