package vizier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// Mutating scripts (pxtrace): Vizier answers a request with mutation: true
// with a mutation_info message first. While the script's tracepoints
// deploy (or their tables' schema is not ready) its status is UNAVAILABLE
// and the stream ends there, without results; once they run, the status
// is OK and the results follow on the same stream. Pixie's CLI answers a
// not-ready status by running the script again (every 5 s, 5 times) and
// gives up when a tracepoint reports FAILED_STATE; pxgate does the same,
// with a back-off and bounded by the request's context instead of a count.
// A script whose mutations are not ready never yields a result.

// DefaultMutationRetry is the first wait before running a mutating script
// again when Config.MutationRetry is 0.
const DefaultMutationRetry = 500 * time.Millisecond

// MaxMutationRetry caps the wait between attempts (Pixie's CLI waits 5 s).
const MaxMutationRetry = 5 * time.Second

// mutationReady reports whether mutation_info says the mutations are
// ready: an OK status.
func mutationReady(mi *vizierpb.MutationInfo) bool { return mi.GetStatus().GetCode() == 0 }

// executeMutation runs a mutating request until Vizier reports its
// mutations ready (then the attempt's results are the answer), a
// tracepoint fails, or ctx ends.
func (c *Client) executeMutation(ctx context.Context, req *vizierpb.ExecuteScriptRequest, dec *batchDecrypter, sink pixie.Sink) (pixie.Summary, error) {
	start := time.Now()
	wait := c.cfg.MutationRetry
	if wait <= 0 {
		wait = DefaultMutationRetry
	}
	var last *vizierpb.MutationInfo // the last not-ready report
	for attempt := 1; ; attempt++ {
		rd, err := c.attempt(ctx, req, dec, sink)
		mi := rd.mutation
		ready := mi != nil && mutationReady(mi)
		if pending := cmp.Or(mi, last); ctx.Err() != nil && !ready && pending != nil {
			// The deadline cut an attempt short (before its mutation_info
			// too: mi nil, a later attempt's): say what was pending.
			return rd.summary, notReady(ctx, pending, attempt, time.Since(start))
		}
		if mi == nil || ready {
			rd.summary.Stats.MutationAttempts = attempt
			if ready {
				rd.summary.Stats.MutationWait = rd.readyAt.Sub(start)
			}
			return rd.summary, err
		}
		if failed := failedMutations(mi); failed != "" {
			return rd.summary, errorf(pixie.KindExecution, nil, "the script's tracepoints could not be deployed: %s (%s)", failed, mi.GetStatus().GetMessage())
		}
		last = mi
		if ctx.Err() == nil {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		if ctx.Err() != nil {
			return rd.summary, notReady(ctx, mi, attempt, time.Since(start))
		}
		wait = min(2*wait, max(MaxMutationRetry, c.cfg.MutationRetry))
	}
}

// failedMutations names the mutations in FAILED_STATE or TERMINATED_STATE,
// or returns "".
func failedMutations(mi *vizierpb.MutationInfo) string {
	var out []string
	for _, s := range mi.GetStates() {
		switch s.GetState() {
		case vizierpb.LifeCycleState_FAILED_STATE, vizierpb.LifeCycleState_TERMINATED_STATE:
			out = append(out, fmt.Sprintf("%q is %s", s.GetName(), s.GetState()))
		}
	}
	return strings.Join(out, ", ")
}

// notReady is the error of a mutating script whose context ended before
// its mutations were ready: a timeout (or a cancellation), never a result.
func notReady(ctx context.Context, mi *vizierpb.MutationInfo, attempts int, waited time.Duration) error {
	var states []string
	for _, s := range mi.GetStates() {
		states = append(states, fmt.Sprintf("%q %s", s.GetName(), s.GetState()))
	}
	what := fmt.Sprintf("the script's mutations were not ready after %d attempts in %s: %s", attempts, waited.Round(time.Millisecond), mi.GetStatus().GetMessage())
	if len(states) > 0 {
		what += " (" + strings.Join(states, ", ") + ")"
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return errorf(pixie.KindCanceled, ctx.Err(), "%s; the caller left", what)
	}
	return errorf(pixie.KindTimeout, ctx.Err(), "%s; the query's deadline passed", what)
}
