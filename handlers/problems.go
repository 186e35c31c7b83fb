package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/render"
)

// statusClientClosedRequest is recorded (nginx-style) when the caller went
// away before the answer; nobody reads it.
const statusClientClosedRequest = api.StatusClientClosedRequest

// fieldError is a caller's mistake in one field, shown as it is (400).
func fieldError(field, format string, args ...any) *api.RequestError {
	return &api.RequestError{FieldError: api.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}}
}

// invalid is err as the 400 answered for it: invalid-request naming the
// field of a *api.RequestError, or any error's message shown as it is; a
// *api.ProblemError or a body over the size limit stays what it is.
func invalid(err error) error {
	var (
		pe *api.ProblemError
		mb *http.MaxBytesError
	)
	if errors.As(err, &pe) || errors.As(err, &mb) {
		return err
	}
	pe = api.NewProblemError(api.ProblemInvalidRequest, http.StatusBadRequest, err.Error())
	var re *api.RequestError
	if errors.As(err, &re) {
		pe.Problem.Errors = []api.FieldError{re.FieldError}
	}
	return pe
}

// runError is a query's failure, with what answering it needs: the
// effective timeout (a 504 quotes it) and the secret argument values to
// hide from the log and the answer.
type runError struct {
	err     error
	timeout time.Duration
	secrets []string
}

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// refusal is the answer to an error that refuses the request (a
// *api.ProblemError, a *api.RequestError, a *queryError, a body over the
// size limit): the problem as it is, logged by the request log only.
func refusal(err error) (failure, bool) {
	var (
		pe *api.ProblemError
		mb *http.MaxBytesError
		qe *queryError
		re *api.RequestError
	)
	switch {
	case errors.As(err, &pe):
		return failure{problem: pe.Problem, retryAfter: pe.RetryAfter, level: slog.LevelDebug}, true
	case errors.As(err, &mb):
		return failure{level: slog.LevelDebug, problem: api.NewProblem(api.ProblemBodyTooLarge, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the request body is larger than the gateway's limit of %d bytes", mb.Limit))}, true
	case errors.As(err, &qe):
		p := api.NewProblem(qe.problemType, http.StatusBadRequest, qe.msg)
		p.Errors = []api.FieldError{{Field: qe.field, Message: qe.msg}}
		return failure{problem: p, level: slog.LevelDebug}, true
	case errors.As(err, &re):
		return refusal(invalid(err))
	}
	return failure{}, false
}

func internalProblem(r *http.Request) api.Problem {
	return api.NewProblem(api.ProblemInternal, http.StatusInternalServerError,
		fmt.Sprintf("pxgate failed to answer; its log has the details under request id %s", middleware.GetReqID(r.Context())))
}

// failure is an error turned into an answer: the problem to send, how loud
// to log it, and whether there is anyone left to answer.
type failure struct {
	problem api.Problem
	// level is the log level: Debug for the caller's mistakes, Warn for
	// Pixie's failures, Error for pxgate's own.
	level slog.Level
	// canceled means the caller went away: log at Debug, write no body.
	canceled bool
	// retryAfter, when positive, goes out as the Retry-After header.
	retryAfter time.Duration
}

// displayHint is added to compile errors about a script that displays nothing.
const displayHint = "end the script with px.display(df, 'output') so that it outputs a table " +
	"(or call one of its functions with \"func\" and \"args\")"

// classify maps an error from running a query (or listing clusters) to its
// answer. It is the only place that chooses statuses for Pixie's errors.
// timeout is the effective query timeout, quoted in 504 answers.
func classify(err error, timeout time.Duration) failure {
	var sinkProblem *api.ProblemError
	if errors.As(err, &sinkProblem) {
		return failure{problem: sinkProblem.Problem, retryAfter: sinkProblem.RetryAfter, level: slog.LevelDebug}
	}
	var ce *pixie.CompileError
	if errors.As(err, &ce) {
		p := api.NewProblem(api.ProblemCompileError, http.StatusBadRequest, compileDetail(ce))
		for _, e := range ce.Errors {
			p.CompileErrors = append(p.CompileErrors, api.CompileError{Line: e.Line, Column: e.Column, Message: e.Message})
			if needsDisplay(e.Message) {
				p.Hint = displayHint
			}
		}
		if needsDisplay(ce.Message) {
			p.Hint = displayHint
		}
		return failure{problem: p, level: slog.LevelDebug}
	}
	var pe *pixie.Error
	if !errors.As(err, &pe) {
		return failure{problem: api.Problem{Type: api.ProblemInternal, Status: http.StatusInternalServerError}, level: slog.LevelError}
	}
	warn := func(typ string, status int, detail string) failure {
		return failure{problem: api.NewProblem(typ, status, detail), level: slog.LevelWarn}
	}
	switch pe.Kind {
	case pixie.KindCanceled:
		return failure{canceled: true, level: slog.LevelDebug,
			problem: api.Problem{Status: statusClientClosedRequest}}
	case pixie.KindInvalidArgument:
		return failure{problem: api.NewProblem(api.ProblemInvalidArgument, http.StatusBadRequest, pe.Message), level: slog.LevelDebug}
	case pixie.KindNotFound:
		return failure{problem: api.NewProblem(api.ProblemUnknownCluster, http.StatusNotFound, pe.Message), level: slog.LevelDebug}
	case pixie.KindTimeout:
		f := warn(api.ProblemPixieTimeout, http.StatusGatewayTimeout,
			fmt.Sprintf("Pixie did not answer within the timeout of %s; ask for a longer \"timeout\" (within the gateway's cap) or query less data", timeout))
		f.problem.TimeoutMS = timeout.Milliseconds()
		return f
	case pixie.KindUnavailable:
		if pe.RowsReceived > 0 {
			return warn(api.ProblemPixieUnavailable, http.StatusBadGateway, "Pixie's result stream broke: "+pe.Message)
		}
		return warn(api.ProblemPixieUnavailable, http.StatusBadGateway, "Pixie could not be reached: "+pe.Message)
	case pixie.KindUnauthenticated:
		return warn(api.ProblemPixieAuth, http.StatusBadGateway, "Pixie refused the gateway's credentials (check PIXIE_API_KEY): "+pe.Message)
	case pixie.KindExecution:
		return warn(api.ProblemPixieExecution, http.StatusBadGateway, "the script failed on Pixie: "+pe.Message)
	case pixie.KindProtocol:
		return warn(api.ProblemPixieProtocol, http.StatusBadGateway, "Pixie's answer broke the protocol: "+pe.Message)
	case pixie.KindUnsupported:
		return warn(api.ProblemPixieUnsupported, http.StatusBadGateway, "Pixie does not support this here: "+pe.Message)
	}
	return failure{problem: api.Problem{Type: api.ProblemInternal, Status: http.StatusInternalServerError}, level: slog.LevelError}
}

// compileDetail says where the PxL fails to compile, in one line.
func compileDetail(ce *pixie.CompileError) string {
	if len(ce.Errors) == 0 {
		return "the PxL does not compile: " + ce.Message
	}
	parts := make([]string, len(ce.Errors))
	for i, e := range ce.Errors {
		if e.Line == 0 && e.Column == 0 {
			parts[i] = e.Message
		} else {
			parts[i] = fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
		}
	}
	return "the PxL does not compile: " + strings.Join(parts, "; ")
}

func needsDisplay(msg string) bool {
	return strings.Contains(msg, "px.display") || strings.Contains(msg, "does not output a result")
}

func isCompileError(err error) bool {
	var ce *pixie.CompileError
	return errors.As(err, &ce)
}

// fail answers err, whatever step of whichever route returned it: the
// one way a route answers a failure. See failure.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.answerFailure(w, r, s.failure(r, err))
}

// failure maps any error to its answer: a refusal (see refusal) as it is;
// a query's failure (a *runError) as classify says, logged with its
// timeout and secrets hidden; any other error (Pixie's library or cluster
// list, the caller leaving while queued) as classify says, logged, with
// the default timeout.
func (s *server) failure(r *http.Request, err error) failure {
	var re *runError
	if errors.As(err, &re) {
		return s.logFailure(r, re.err, re.timeout, re.secrets)
	}
	if f, ok := refusal(err); ok {
		return f
	}
	return s.logFailure(r, err, s.opts.DefaultTimeout, nil)
}

// logFailure classifies err and logs it at the failure's level, with the
// secrets (argument values) hidden in the log and in the problem it
// returns. That problem is complete (an internal one points at the log).
func (s *server) logFailure(r *http.Request, err error, timeout time.Duration, secrets []string) failure {
	f := classify(err, timeout)
	attrs := []slog.Attr{
		slog.String("route", routePattern(r)),
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.Int("status", f.problem.Status),
		slog.String("outcome", outcome(err)),
	}
	if !isCompileError(err) {
		// Compiler messages quote the caller's PxL, which may hold secrets;
		// Pixie's other messages may quote argument values.
		attrs = append(attrs, slog.String("err", redact(err.Error(), secrets)))
	}
	s.log.LogAttrs(r.Context(), f.level, "request failed", attrs...)
	if f.problem.Type == api.ProblemInternal {
		f.problem = internalProblem(r)
	}
	// Answers, trailers and the history never quote a secret argument
	// either: answers end up in Chaos Toolkit journals and proxy logs.
	if len(secrets) > 0 {
		f.problem.Detail = redact(f.problem.Detail, secrets)
		for i := range f.problem.CompileErrors { // messages quote the PxL's values
			f.problem.CompileErrors[i].Message = redact(f.problem.CompileErrors[i].Message, secrets)
		}
		for i := range f.problem.Errors {
			f.problem.Errors[i].Message = redact(f.problem.Errors[i].Message, secrets)
		}
	}
	return f
}

// answerFailure answers a failure: its problem (with Retry-After when it
// says when to retry), or a bare 499 when the caller went away.
func (s *server) answerFailure(w http.ResponseWriter, r *http.Request, f failure) {
	noteOf(r).problemType = strings.TrimPrefix(f.problem.Type, api.ProblemTypePrefix)
	if f.canceled {
		noteOf(r).problemType = "canceled"
		w.WriteHeader(statusClientClosedRequest)
		return
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(f.retryAfter.Seconds())))))
	}
	s.writeProblem(w, r, f.problem)
}

// completeProblem adds the request id and the request path as instance.
func completeProblem(r *http.Request, p api.Problem) api.Problem {
	p.RequestID = middleware.GetReqID(r.Context())
	p.Instance = r.URL.Path
	if p.Title == "" {
		p.Title = api.ProblemTitle(p.Type)
	}
	return p
}

// writeProblem sends p as application/problem+json, adding the request id
// and the request path as instance.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, p api.Problem) {
	p = completeProblem(r, p)
	body, err := render.MarshalJSON(p)
	if err != nil {
		s.log.Error("encoding a problem", "err", err)
		body = []byte(`{"type":"` + api.ProblemInternal + `","title":"Internal error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set(headerContentType, api.ContentTypeProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// writeJSON sends v as JSON with Content-Type exactly application/json. The
// body is encoded before the header is written, so an encoding failure still
// becomes a clean 500.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := render.MarshalJSON(v)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encoding a response",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
		s.writeProblem(w, r, internalProblem(r))
		return
	}
	w.Header().Set(headerContentType, api.ContentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
