// Package gatewaytest starts pxgate's real handlers against a fake Vizier
// on loopback, for tests outside package handlers (examples, recipes).
package gatewaytest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pxgate/pxgate/demo"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

// ClusterID is the cluster the fake answers for and the gateway queries.
const ClusterID = "7a1c2b3d-0000-4000-8000-00000000abcd"

// Start runs a fake Vizier answering with h, a real client for it and the
// handlers (opts, with Pixie and DefaultClusterID filled in) behind an
// httptest.Server; all stop when the test ends.
func Start(t testing.TB, h fakevizier.Handler, opts handlers.Options) (*httptest.Server, *fakevizier.Server) {
	t.Helper()
	fake, err := fakevizier.Start(fakevizier.Options{ClusterID: ClusterID, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := vizier.New(vizier.Config{DirectAddr: fake.Addr(), Plaintext: true, ClusterID: ClusterID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	opts.Pixie, opts.DefaultClusterID = client, ClusterID
	srv := httptest.NewServer(handlers.New(opts))
	t.Cleanup(srv.Close)
	return srv, fake
}

// DemoClient starts the embedded demo cluster serving telemetry and a real
// Pixie client for its Vizier (mutating scripts retried after
// mutationRetry; 0 is the client's default); both stop when the test ends.
func DemoClient(t testing.TB, telemetry *pxldemo.Cluster, mutationRetry time.Duration) (*demo.Demo, *vizier.Client) {
	t.Helper()
	d, err := demo.Start(t.Context(), demo.Options{Telemetry: telemetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	client, err := vizier.New(vizier.Config{DirectAddr: d.VizierAddr(), Plaintext: true, ClusterID: d.ClusterID(), MutationRetry: mutationRetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return d, client
}

// StartDemo runs pxgate's handlers in demo mode on the embedded demo
// cluster serving telemetry (give it a fixed seed and clock: tests must not
// depend on the wall clock), behind an httptest.Server; all stop when the
// test ends.
func StartDemo(t testing.TB, telemetry *pxldemo.Cluster) *httptest.Server {
	t.Helper()
	cluster, client := DemoClient(t, telemetry, 0)
	srv := httptest.NewServer(handlers.New(handlers.Options{Pixie: client, DefaultClusterID: cluster.ClusterID(), Demo: cluster}))
	t.Cleanup(srv.Close)
	return srv
}
