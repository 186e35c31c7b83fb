package handlers_test

import (
	"context"
	"sync"
	"time"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie"
)

// gatedDeadline wraps the gateway's Pixie client so that a query's deadline
// takes effect only once the test opens its gate: a test that needs "the
// timeout struck after X" (rows reached the answer, another request was
// refused) makes X happen first by construction, instead of racing a
// wall-clock timeout against a busy scheduler.
//
// The deadline is still the gateway's own: once the gate is open, the
// query ends when the gateway's context does (at once if it already has),
// with that context's error, through the real Pixie client. Until then the
// Pixie client sees a context without deadline, so nothing else (gRPC's
// own timer) can end the query early.
type gatedDeadline struct {
	handlers.Pixie
	// gate is called once per query with its sink; it returns the sink to
	// execute into and the channel whose closing opens the deadline.
	gate func(sink pixie.Sink) (pixie.Sink, <-chan struct{})
}

// gateOn returns an Options mod whose queries' deadlines wait for open.
func gateOn(open <-chan struct{}) func(*handlers.Options) {
	return func(o *handlers.Options) {
		o.Pixie = gatedDeadline{Pixie: o.Pixie, gate: func(s pixie.Sink) (pixie.Sink, <-chan struct{}) { return s, open }}
	}
}

// gateOnRows returns an Options mod whose queries' deadlines wait until
// the query's first batch with rows has gone into the answer.
func gateOnRows(o *handlers.Options) {
	o.Pixie = gatedDeadline{Pixie: o.Pixie, gate: func(s pixie.Sink) (pixie.Sink, <-chan struct{}) {
		r := &rowsSeen{Sink: s, seen: make(chan struct{})}
		return r, r.seen
	}}
}

func (g gatedDeadline) Execute(ctx context.Context, r pixie.Request, sink pixie.Sink) (pixie.Summary, error) {
	sink, open := g.gate(sink)
	gated := &gatedContext{Context: context.WithoutCancel(ctx), parent: ctx, done: make(chan struct{})}
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-open:
		case <-finished:
			return
		}
		select {
		case <-ctx.Done():
			close(gated.done)
		case <-finished:
		}
	}()
	return g.Pixie.Execute(gated, r, sink)
}

// gatedContext is done once its gate opened and its parent is done, with
// the parent's error; it has no deadline of its own.
type gatedContext struct {
	context.Context // values only
	parent          context.Context
	done            chan struct{}
}

func (c *gatedContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *gatedContext) Done() <-chan struct{}       { return c.done }
func (c *gatedContext) Err() error {
	select {
	case <-c.done:
		return c.parent.Err()
	default:
		return nil
	}
}

// rowsSeen closes seen once a batch with rows went through to Sink.
type rowsSeen struct {
	pixie.Sink
	seen chan struct{}
	once sync.Once
}

func (r *rowsSeen) Batch(b *pixie.Batch) error {
	err := r.Sink.Batch(b)
	if err == nil && b.NumRows > 0 {
		r.once.Do(func() { close(r.seen) })
	}
	return err
}
