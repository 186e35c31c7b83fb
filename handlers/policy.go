package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// permit applies the gateway's policy to a resolved query: inline PxL
// only when allowed, clusters only from the allow-list, mutations only when
// allowed (and then q is marked as one). A refusal is a 403 problem error.
func (s *server) permit(req *api.RunRequest, q *pixie.Request) error {
	if mutates(q.Script) {
		if !s.opts.AllowMutations {
			return api.NewProblemError(api.ProblemMutationForbidden, http.StatusForbidden,
				"the script changes the cluster (it uses pxtrace to deploy or delete tracepoints, or pxconfig to reconfigure agents); this gateway runs read-only scripts only (PXGATE_ALLOW_MUTATIONS=false)")
		}
		q.Mutation = true // Vizier must know, and reports the mutations' states
	}
	if s.opts.NamedOnly && req.Script != "" {
		return api.NewProblemError(api.ProblemInlineForbidden, http.StatusForbidden,
			"this gateway runs only named scripts from its catalog (GET /v1/scripts); send script_name instead of script")
	}
	if !s.clusterAllowed(q.ClusterID) {
		pe := api.NewProblemError(api.ProblemClusterForbidden, http.StatusForbidden,
			fmt.Sprintf("cluster %q is not one this gateway may query", q.ClusterID))
		pe.Problem.Errors = []api.FieldError{{Field: "cluster_id", Message: pe.Problem.Detail}}
		return pe
	}
	return nil
}

// mutationRe finds PxL that changes the cluster: tracepoints are deployed
// and deleted through the pxtrace module, and agents are reconfigured
// through the pxconfig module (pxconfig.set_agent_config).
var mutationRe = regexp.MustCompile(`(?m)^\s*(import\s+(pxtrace|pxconfig)\b|from\s+(pxtrace|pxconfig)\s+import\b)|\b(pxtrace|pxconfig)\.|\b(Upsert|Delete)Tracepoint\b`)

// mutates reports whether a script would change the cluster. It errs on
// the side of refusing: a mention of pxtrace anywhere counts.
//
// Every match of mutationRe contains "pxtrace", "pxconfig" or "Tracepoint"
// (it is case sensitive), so a script with none, as almost all are, is
// answered by substring searches instead of the regexp's backtracking (5 µs
// for a two-line script).
func mutates(src string) bool {
	if !strings.Contains(src, "pxtrace") && !strings.Contains(src, "pxconfig") && !strings.Contains(src, "Tracepoint") {
		return false
	}
	return mutationRe.MatchString(src)
}

func (s *server) clusterAllowed(id string) bool {
	if len(s.opts.AllowedClusters) == 0 {
		return true
	}
	return slices.ContainsFunc(s.opts.AllowedClusters, func(a string) bool { return strings.EqualFold(a, id) })
}

// admit takes a query slot for a query of the given timeout, waiting up
// to QueueWait (and no longer than the timeout): first one of the caller's
// share (Options.MaxConcurrentPerCaller), then one of the gateway's. When
// none frees up it returns a 429 problem error with Retry-After; when the
// caller (ctx) leaves while queued, a KindCanceled *pixie.Error. Otherwise
// the caller must call release when its query ends.
func (s *server) admit(ctx context.Context, timeout time.Duration) (release func(), err error) {
	if s.slots == nil {
		return func() {}, nil
	}
	var timer *time.Timer // started at the first slot that is not free
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	waitFor := func(slots chan struct{}) error {
		select {
		case slots <- struct{}{}:
			return nil
		default:
		}
		if timer == nil {
			timer = time.NewTimer(min(s.opts.QueueWait, timeout))
		}
		select {
		case slots <- struct{}{}:
			return nil
		case <-ctx.Done():
			if shuttingDown(ctx) {
				return shutdownProblem()
			}
			// Nobody reads the answer, but the status is what the logs
			// and metrics record.
			return &pixie.Error{Kind: pixie.KindCanceled, Message: "the caller left while queued for a query slot", Err: ctx.Err()}
		case <-timer.C:
			return errQueueFull
		}
	}
	leave := func() {}
	if s.shares != nil {
		key := callerOf(ctx)
		mine := s.shares.join(key)
		if err := waitFor(mine.ch); err != nil {
			s.shares.leave(key, mine)
			return nil, s.refuseQueued(err, fmt.Sprintf("this caller already runs its share of %d of the gateway's %d Pixie queries (PXGATE_CALLER_SHARE)", s.shares.limit, cap(s.slots)))
		}
		leave = func() { <-mine.ch; s.shares.leave(key, mine) }
	}
	if err := waitFor(s.slots); err != nil {
		leave()
		return nil, s.refuseQueued(err, fmt.Sprintf("the gateway is running its maximum of %d Pixie queries", cap(s.slots)))
	}
	return func() { <-s.slots; leave() }, nil
}

// errQueueFull is admit's wait for a slot running out.
var errQueueFull = errors.New("no query slot freed up in time")

// refuseQueued is the answer to a request that found no slot: a 429 with
// Retry-After saying why (what), or err as it is (the caller left).
func (s *server) refuseQueued(err error, what string) error {
	if !errors.Is(err, errQueueFull) {
		return err
	}
	s.metrics.rejected.Inc()
	retry := max(1, int(s.opts.QueueWait.Round(time.Second)/time.Second))
	pe := api.NewProblemError(api.ProblemTooManyQueries, http.StatusTooManyRequests,
		fmt.Sprintf("%s; retry in %d s", what, retry))
	pe.RetryAfter = time.Duration(retry) * time.Second
	return pe
}
