package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	pxgate "github.com/pxgate/pxgate"
	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/version"
)

// healthz answers 200 while the process serves HTTP at all.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, api.Status{Status: "ok"})
}

// readyz answers 200 when Options.Ready says the gateway takes traffic,
// 503 otherwise (start-up, shutdown). It never asks Pixie.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.opts.Ready() {
		s.writeJSON(w, r, http.StatusServiceUnavailable, api.Status{Status: "not ready"})
		return
	}
	s.writeJSON(w, r, http.StatusOK, api.Status{Status: "ready"})
}

// version answers the build information.
func (s *server) version(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, api.VersionInfo(version.Get()))
}

// openapi serves the API contract.
func (s *server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set(headerContentType, contentTypeYAML)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pxgate.OpenAPI)
}

// listClusters answers the clusters Pixie reports.
func (s *server) listClusters(w http.ResponseWriter, r *http.Request) {
	cls, err := s.clusters(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]api.Cluster, len(cls))
	for i, c := range cls {
		out[i] = s.cluster(c)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// getCluster answers one cluster by id, or 404.
func (s *server) getCluster(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	cls, err := s.clusters(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cls {
		if c.ID == id {
			s.writeJSON(w, r, http.StatusOK, s.cluster(c))
			return
		}
	}
	s.fail(w, r, api.NewProblemError(api.ProblemUnknownCluster, http.StatusNotFound,
		fmt.Sprintf("no cluster with id %q is visible with the gateway's credentials; GET /v1/clusters lists them", id)))
}

// clusters asks Pixie for the clusters, within the default query timeout,
// and keeps those the allow-list permits.
func (s *server) clusters(r *http.Request) ([]pixie.Cluster, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.DefaultTimeout)
	defer cancel()
	cls, err := s.opts.Pixie.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cls, func(c pixie.Cluster) bool { return !s.clusterAllowed(c.ID) }), nil
}

func (s *server) cluster(c pixie.Cluster) api.Cluster {
	return api.Cluster{
		ID:                   c.ID,
		Name:                 c.Name,
		PrettyName:           c.PrettyName,
		Status:               c.Status,
		StatusMessage:        c.StatusMessage,
		Queryable:            c.Queryable,
		VizierVersion:        c.VizierVersion,
		NumNodes:             c.NumNodes,
		NumInstrumentedNodes: c.NumInstrumentedNodes,
		LastHeartbeatMS:      c.LastHeartbeat.Milliseconds(),
		Default:              c.ID != "" && c.ID == s.opts.DefaultClusterID,
	}
}
