package vizier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

const traceScript = "import pxtrace\nimport px\npxtrace.UpsertTracepoint('t', 't_table', 'prog', pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t_table'), 'output')\n"

// startMutating is start with a client that retries at once (1 ms, doubling).
func startMutating(t *testing.T, h fakevizier.Handler) (*fakevizier.Server, *vizier.Client) {
	t.Helper()
	s, err := fakevizier.Start(fakevizier.Options{APIKey: testKey, ClusterID: testCluster, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster, MutationRetry: time.Millisecond})
}

func pendingPlan(state vizierpb.LifeCycleState) *fakevizier.Plan {
	return &fakevizier.Plan{Mutation: fakevizier.MutationPending(fakevizier.Tracepoint("t", state))}
}

// TestMutationRetriedUntilReady: while Vizier reports the tracepoint
// deploying the script is sent again; the ready attempt's rows are the
// answer, and the stats say how many attempts it took.
func TestMutationRetriedUntilReady(t *testing.T) {
	t.Parallel()
	ready := &fakevizier.Plan{
		Mutation: fakevizier.MutationReady(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_RUNNING_STATE)),
		Tables:   []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, 1, 2, 3))},
	}
	s, c := startMutating(t, fakevizier.Sequence(pendingPlan(vizierpb.LifeCycleState_PENDING_STATE), pendingPlan(vizierpb.LifeCycleState_PENDING_STATE), ready))
	var col pixie.Collector
	sum, err := c.Execute(t.Context(), pixie.Request{Script: traceScript, Mutation: true}, &col)
	if err != nil {
		t.Fatal(err)
	}
	if tb := col.Lookup("output"); tb == nil || tb.NumRows != 3 || len(col.Tables) != 1 {
		t.Fatalf("got tables %+v", col.Tables)
	}
	if sum.Stats.MutationAttempts != 3 || sum.Stats.MutationWait <= 0 {
		t.Errorf("got stats %+v, want 3 attempts and a wait", sum.Stats)
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if !r.Req.GetMutation() || r.Req.GetQueryStr() != traceScript {
			t.Errorf("request %d: mutation %v, script %q", i, r.Req.GetMutation(), r.Req.GetQueryStr())
		}
	}
}

// TestMutationNeverReadyIsATimeout: a tracepoint that never deploys ends
// with the request's deadline as a timeout naming its state, never rows.
func TestMutationNeverReadyIsATimeout(t *testing.T) {
	t.Parallel()
	s, c := startMutating(t, fakevizier.StaticHandler(pendingPlan(vizierpb.LifeCycleState_PENDING_STATE)))
	// The deadline passes once the client has had a first answer and
	// tries again (the fake sees a second attempt): by then the client
	// knows the tracepoint's state, however busy the machine.
	ctx := deadlineOnceAt(t, func() bool { return len(s.Requests()) >= 2 })
	var col pixie.Collector
	_, err := c.Execute(ctx, pixie.Request{Script: traceScript, Mutation: true}, &col)
	if pixie.KindOf(err) != pixie.KindTimeout {
		t.Fatalf("got %v, want a timeout", err)
	}
	for _, want := range []string{"not ready", `"t" PENDING_STATE`, fakevizier.MutationPendingMessage} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if len(col.Tables) != 0 {
		t.Errorf("got tables %+v from a script that was never ready", col.Tables)
	}
}

// TestMutationCanceledWhileWaiting: the caller leaving a mutating script
// that is not ready (during an attempt or between attempts) is a
// cancellation, not a result.
func TestMutationCanceledWhileWaiting(t *testing.T) {
	t.Parallel()
	s, err := fakevizier.Start(fakevizier.Options{ClusterID: testCluster, Handler: fakevizier.StaticHandler(pendingPlan(vizierpb.LifeCycleState_PENDING_STATE))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c := newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, ClusterID: testCluster, MutationRetry: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Execute(ctx, pixie.Request{Script: traceScript, Mutation: true}, &pixie.Collector{})
		done <- err
	}()
	// Leave once the first attempt reached Vizier: the client is then
	// reading it or waiting (an hour) to try again; either way leaving is
	// a cancellation, never a result.
	testwait.Until(t, "the first attempt", func() bool { return len(s.Requests()) > 0 })
	cancel()
	if err := <-done; pixie.KindOf(err) != pixie.KindCanceled {
		t.Fatalf("got %v, want canceled", err)
	}
}

// TestMutationFailedIsAnError: a tracepoint in FAILED_STATE ends the query
// at once with an error naming it (as Pixie's CLI gives up on it).
func TestMutationFailedIsAnError(t *testing.T) {
	t.Parallel()
	s, c := startMutating(t, fakevizier.Sequence(pendingPlan(vizierpb.LifeCycleState_PENDING_STATE), pendingPlan(vizierpb.LifeCycleState_FAILED_STATE)))
	_, err := c.Execute(t.Context(), pixie.Request{Script: traceScript, Mutation: true}, &pixie.Collector{})
	if pixie.KindOf(err) != pixie.KindExecution || !strings.Contains(err.Error(), `"t" is FAILED_STATE`) || !strings.Contains(err.Error(), "could not be deployed") {
		t.Fatalf("got %v, want an execution error naming the failed tracepoint", err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("got %d attempts, want 2 (no retry after a failure)", n)
	}
}

// deadlineOnceAt returns a context whose deadline passes (Err is
// context.DeadlineExceeded) as soon as cond holds, polled every
// millisecond: a timeout that strikes after an event, not after a
// duration the event may or may not fit in.
func deadlineOnceAt(t *testing.T, cond func() bool) context.Context {
	c := &eventDeadline{Context: t.Context(), done: make(chan struct{})}
	go func() {
		for !cond() {
			select {
			case <-t.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
		close(c.done)
	}()
	return c
}

type eventDeadline struct {
	context.Context // values only
	done            chan struct{}
}

func (c *eventDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *eventDeadline) Done() <-chan struct{}       { return c.done }
func (c *eventDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
