package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/tolerance"
)

// runOutcome is how a run ended, for the history.
type runOutcome struct {
	ran     ran
	problem *api.Problem // why the query did not complete
	status  int          // the HTTP status answered
}

// masked replaces the values of arguments whose names suggest a secret.
const masked = "<masked>"

// secretWords mark argument names whose values are never shown (history,
// /probe?debug=true).
var secretWords = []string{"key", "token", "secret", "password", "passwd", "credential", "auth",
	"bearer", "jwt", "cookie", "session", "private", "signature"}

// History bounds: an entry must stay small whatever a caller sends.
const (
	maxHistoryArgs  = 32
	maxHistoryValue = 256 // bytes of one argument value or text
)

// clip shortens s to maxHistoryValue bytes (on a rune boundary).
func clip(s string) string {
	if len(s) <= maxHistoryValue {
		return s
	}
	cut := maxHistoryValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maskArgs returns args with secret-looking values masked and long values
// clipped, keeping at most maxHistoryArgs of them.
func maskArgs(args map[string]string) map[string]string {
	if len(args) == 0 {
		return nil
	}
	out := make(map[string]string, min(len(args), maxHistoryArgs))
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if len(out) == maxHistoryArgs {
			break
		}
		v := args[k]
		k = clip(k)
		out[k] = clip(v)
		if secretName(k) {
			out[k] = masked
		}
	}
	return out
}

// secretName says whether an argument's name suggests its value is secret.
func secretName(name string) bool {
	name = strings.ToLower(name)
	return slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(name, w) })
}

// secretValues lists the values of args whose names suggest a secret,
// longest first (so that a value containing another is hidden whole).
func secretValues(args map[string]string) []string {
	var out []string
	for k, v := range args {
		if v != "" && secretName(k) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// shortSecret is the length below which a secret value is hidden only
// where it stands as a word of its own: "1" or "on" hidden inside every
// word and number would make the message unreadable (and the pattern of
// masks would tell the value anyway).
const shortSecret = 6

// redact hides the secrets in s: an error from Pixie or from argument
// checks may quote an argument's value.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= shortSecret {
			s = strings.ReplaceAll(s, v, masked)
		} else {
			s = redactWord(s, v)
		}
	}
	return s
}

// redactWord hides the occurrences of v in s that no letter or digit
// adjoins.
func redactWord(s, v string) string {
	var b strings.Builder
	for i := 0; ; {
		j := strings.Index(s[i:], v)
		if j < 0 {
			if i == 0 {
				return s
			}
			b.WriteString(s[i:])
			return b.String()
		}
		start, end := i+j, i+j+len(v)
		b.WriteString(s[i:start])
		if wordByteAt(s, start-1) || wordByteAt(s, end) {
			b.WriteString(v)
		} else {
			b.WriteString(masked)
		}
		i = end
	}
}

// wordByteAt says whether s[i] exists and is an ASCII letter or digit.
func wordByteAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// record adds a finished run to the history. It keeps no PxL: an inline
// script is recorded by size and hash, and compile errors (whose messages
// quote the PxL) by position only.
func (s *server) record(r *http.Request, p *runPlan, o runOutcome) {
	run := history.Run{
		Time:       time.Now().Add(-o.ran.elapsed).UTC(),
		Route:      routeName(r),
		Format:     p.format,
		Script:     p.req.ScriptName,
		Func:       p.req.Func,
		Args:       maskArgs(p.req.Args),
		ClusterID:  p.query.ClusterID,
		RequestID:  middleware.GetReqID(r.Context()),
		QueryID:    o.ran.summary.QueryID,
		Status:     o.status,
		DurationMS: milliseconds(o.ran.elapsed),
		Tables:     o.ran.tables,
	}
	if run.Script == "" {
		sum := sha256.Sum256([]byte(p.req.Script))
		run.Script, run.ScriptBytes, run.ScriptSHA256 = "inline", len(p.req.Script), hex.EncodeToString(sum[:6])
	}
	if run.Tables == nil {
		run.Tables = []history.TableCount{}
	}
	v := o.ran.verdict
	switch {
	case o.problem != nil:
		run.Outcome = history.OutcomeError
		run.Error = historyError(o.problem)
		run.Error.Detail = clip(run.Error.Detail) // logFailure hid the secrets
	case v != nil && v.Passed:
		run.Outcome = history.OutcomePass
	default:
		run.Outcome = history.OutcomeFail
	}
	note := noteOf(r)
	note.status = o.status
	if v != nil && !v.Passed {
		note.checks = failedChecks(v, p.secrets)
	}
	if v != nil {
		hv := &history.Verdict{Passed: v.Passed, Checks: make([]history.Check, len(v.Checks))}
		for i, c := range v.Checks {
			hv.Checks[i] = history.Check{Name: clip(c.Name), Passed: c.Passed, Value: c.Value, Threshold: c.Threshold,
				Unit: c.Unit, RowsEvaluated: c.RowsEvaluated, Message: clip(redact(c.Message, p.secrets)),
				Baseline: c.Baseline, Ratio: c.Ratio, BaselineRows: c.BaselineRows}
			if i < maxChartedChecks {
				hv.Checks[i].Series = historySeries(p, o.ran, i, c.Unit)
			}
		}
		run.Verdict = hv
	}
	s.history.Add(run)
}

// failedChecks sums up a failed verdict's failing checks on one line, for
// the request's log line: each check's name and value, secret
// argument values hidden.
func failedChecks(v *tolerance.Verdict, secrets []string) string {
	var b strings.Builder
	for _, c := range v.Checks {
		if c.Passed {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteString(": ")
		if c.Value == nil {
			b.WriteString("no value")
		} else {
			b.WriteString(strconv.FormatFloat(*c.Value, 'g', 6, 64))
			if c.Unit != "" {
				b.WriteString(c.Unit)
			}
		}
		if b.Len() > maxHistoryValue {
			break // clip keeps no more
		}
	}
	return clip(redact(b.String(), secrets))
}

// historyError sums up a problem for the history.
func historyError(p *api.Problem) *history.Error {
	e := &history.Error{Type: p.Type, Detail: p.Detail}
	switch {
	case p.Status == statusClientClosedRequest:
		e.Type, e.Detail = "canceled", "the caller went away before the answer"
	case p.Type == api.ProblemCompileError:
		e.Detail = fmt.Sprintf("the PxL does not compile (%d compiler errors)", max(1, len(p.CompileErrors)))
		if len(p.CompileErrors) > 0 {
			c := p.CompileErrors[0]
			e.Detail += fmt.Sprintf("; the first at line %d, column %d", c.Line, c.Column)
		}
	}
	return e
}

// routeName names the route that served r for the history: the method and
// the route pattern, with the catalog routes spelled as in openapi.yaml.
func routeName(r *http.Request) string {
	pattern := routePattern(r)
	if pattern == "/v1/scripts/*" {
		pattern = "/v1/scripts/{name}/run"
	}
	return r.Method + " " + pattern
}
