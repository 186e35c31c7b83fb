package handlers

import (
	"io"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// TestClassify is the table of every error's answer.
func TestClassify(t *testing.T) {
	t.Parallel()
	perr := func(k pixie.Kind) error { return &pixie.Error{Kind: k, Message: "something"} }
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		typ      string
		canceled bool
	}{
		{"a compile error is a 400", &pixie.CompileError{Errors: []pixie.CompilerError{{Line: 1, Column: 2, Message: "bad"}}}, 400, api.ProblemCompileError, false},
		{"an invalid argument is a 400", perr(pixie.KindInvalidArgument), 400, api.ProblemInvalidArgument, false},
		{"an unknown cluster is a 404", perr(pixie.KindNotFound), 404, api.ProblemUnknownCluster, false},
		{"unavailable is a 502", perr(pixie.KindUnavailable), 502, api.ProblemPixieUnavailable, false},
		{"refused credentials are a 502", perr(pixie.KindUnauthenticated), 502, api.ProblemPixieAuth, false},
		{"an execution failure is a 502", perr(pixie.KindExecution), 502, api.ProblemPixieExecution, false},
		{"a protocol violation is a 502", perr(pixie.KindProtocol), 502, api.ProblemPixieProtocol, false},
		{"an unsupported operation is a 502", perr(pixie.KindUnsupported), 502, api.ProblemPixieUnsupported, false},
		{"a timeout is a 504", perr(pixie.KindTimeout), 504, api.ProblemPixieTimeout, false},
		{"a cancellation is nobody's answer", perr(pixie.KindCanceled), 499, "", true},
		{"a wrapped Pixie error keeps its kind", wrap(perr(pixie.KindTimeout)), 504, api.ProblemPixieTimeout, false},
		{"any other error is a 500", io.ErrUnexpectedEOF, 500, api.ProblemInternal, false},
		{"an unknown kind is a 500", perr(pixie.Kind(99)), 500, api.ProblemInternal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := classify(tc.err, 1500*time.Millisecond)
			if f.problem.Status != tc.status || f.problem.Type != tc.typ || f.canceled != tc.canceled {
				t.Errorf("got %d %q canceled=%v, want %d %q canceled=%v", f.problem.Status, f.problem.Type, f.canceled, tc.status, tc.typ, tc.canceled)
			}
			if tc.typ != "" && tc.typ != api.ProblemInternal && (f.problem.Title == "" || f.problem.Detail == "") {
				t.Errorf("problem lacks a title or detail: %+v", f.problem)
			}
		})
	}
	if f := classify(&pixie.Error{Kind: pixie.KindTimeout}, 1500*time.Millisecond); f.problem.TimeoutMS != 1500 {
		t.Errorf("timeout_ms: got %d, want 1500", f.problem.TimeoutMS)
	}
	hint := classify(&pixie.CompileError{Message: "Script compilation failed", Errors: []pixie.CompilerError{
		{Message: "query does not output a result, please add a px.display() statement"},
	}}, 0)
	if hint.problem.Hint != displayHint {
		t.Errorf("hint: got %q, want %q", hint.problem.Hint, displayHint)
	}
}

func wrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "context: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }
