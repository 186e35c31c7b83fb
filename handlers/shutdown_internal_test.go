package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// A request queued for a query slot when the shutdown grace ends gets the
// 503 shutting-down answer, not a bare 499: its caller is still there.
func TestAdmitShuttingDown(t *testing.T) {
	t.Parallel()
	s := newServer(Options{Pixie: nopPixie{}, MaxConcurrent: 1, QueueWait: time.Hour})
	release, err := s.admit(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(ErrShuttingDown)
	_, err = s.admit(ctx, time.Hour)
	var pe *api.ProblemError
	if !errors.As(err, &pe) || pe.Problem.Status != http.StatusServiceUnavailable || pe.Problem.Type != api.ProblemShuttingDown || pe.RetryAfter <= 0 {
		t.Errorf("queued at shutdown: got %v, want a 503 shutting-down with Retry-After", err)
	}
	// A caller that leaves by itself is still a 499.
	left, leave := context.WithCancel(t.Context())
	leave()
	if _, err := s.admit(left, time.Hour); pixie.KindOf(err) != pixie.KindCanceled {
		t.Errorf("a caller that left: got %v, want canceled", err)
	}
}

// A cached GET run runs detached from its caller, but not from the
// shutdown: when the grace ends its callers get the 503 too.
func TestCachedRunShuttingDown(t *testing.T) {
	t.Parallel()
	fake, err := fakevizier.Start(fakevizier.Options{ClusterID: pipelineCluster, Handler: fakevizier.StaticHandler(&fakevizier.Plan{
		Hang: true, Tables: []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("latency", pixie.STDurationNS, 1))},
	})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := vizier.New(vizier.Config{DirectAddr: fake.Addr(), Plaintext: true, ClusterID: pipelineCluster})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	srv := httptest.NewUnstartedServer(New(Options{Pixie: client, DefaultClusterID: pipelineCluster, Cache: cache.New(time.Minute, 10, 1<<20)}))
	base, cancel := context.WithCancelCause(context.Background())
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Start()
	t.Cleanup(srv.Close)

	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/v1/scripts/service_let/run?service=default/consumer")
		if err != nil {
			t.Error(err)
			answered <- nil
			return
		}
		answered <- resp
	}()
	testwait.Until(t, "the cached query to hang on the Vizier", func() bool { return fake.ActiveStreams() > 0 })
	cancel(ErrShuttingDown)
	resp := <-answered
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != http.StatusServiceUnavailable || p.Type != api.ProblemShuttingDown {
		t.Errorf("cached run at shutdown: got %d %s, want a 503 shutting-down", resp.StatusCode, body)
	}
}
