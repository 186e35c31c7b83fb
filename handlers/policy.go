package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// permitted applies the gateway's policy to a resolved query: inline PxL
// only when allowed, clusters only from the allow-list. It answers 403
// itself.
func (s *server) permitted(w http.ResponseWriter, r *http.Request, req *api.RunRequest, q *pixie.Request) bool {
	if mutates(q.Script) {
		if !s.opts.AllowMutations {
			s.writeProblem(w, r, api.NewProblem(api.ProblemMutationForbidden, http.StatusForbidden,
				"the script changes the cluster (it uses pxtrace to deploy or delete tracepoints); this gateway runs read-only scripts only (PXGATE_ALLOW_MUTATIONS=false)"))
			return false
		}
		q.Mutation = true // Vizier must know, and reports the mutations' states
	}
	if s.opts.NamedOnly && req.Script != "" {
		s.writeProblem(w, r, api.NewProblem(api.ProblemInlineForbidden, http.StatusForbidden,
			"this gateway runs only named scripts from its catalog (GET /v1/scripts); send script_name instead of script"))
		return false
	}
	if !s.clusterAllowed(q.ClusterID) {
		p := api.NewProblem(api.ProblemClusterForbidden, http.StatusForbidden,
			fmt.Sprintf("cluster %q is not one this gateway may query", q.ClusterID))
		p.Errors = []api.FieldError{{Field: "cluster_id", Message: p.Detail}}
		s.writeProblem(w, r, p)
		return false
	}
	return true
}

// mutationRe finds PxL that changes the cluster: tracepoints are deployed
// and deleted through the pxtrace module.
var mutationRe = regexp.MustCompile(`(?m)^\s*(import\s+pxtrace\b|from\s+pxtrace\s+import\b)|\bpxtrace\.|\b(Upsert|Delete)Tracepoint\b`)

// mutates reports whether a script would change the cluster. It errs on
// the side of refusing: a mention of pxtrace anywhere counts.
//
// Every match of mutationRe contains "pxtrace" or "Tracepoint" (it is case
// sensitive), so a script with neither, as almost all are, is answered by
// two substring searches instead of the regexp's backtracking (5 µs for a
// two-line script).
func mutates(src string) bool {
	if !strings.Contains(src, "pxtrace") && !strings.Contains(src, "Tracepoint") {
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

// admit takes a query slot, waiting up to QueueWait. When none frees up it
// answers 429 with Retry-After and returns false; otherwise the caller
// must call release when its query ends.
func (s *server) admit(ctx context.Context, w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if s.slots == nil {
		return func() {}, true
	}
	release = func() { <-s.slots }
	select {
	case s.slots <- struct{}{}:
		return release, true
	default:
	}
	// Wait no longer than the query's own deadline leaves.
	wait := s.opts.QueueWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return release, true
	case <-r.Context().Done():
		// The caller left while queued: nobody reads the answer, but the
		// status is what the logs and metrics record.
		w.WriteHeader(statusClientClosedRequest)
		return nil, false
	case <-t.C:
	}
	s.metrics.rejected.Inc()
	retry := max(1, int(s.opts.QueueWait.Round(time.Second)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	s.writeProblem(w, r, api.NewProblem(api.ProblemTooManyQueries, http.StatusTooManyRequests,
		fmt.Sprintf("the gateway is running its maximum of %d Pixie queries; retry in %d s", cap(s.slots), retry)))
	return nil, false
}
