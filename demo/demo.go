// Package demo is the embedded demo cluster behind one seam: synthetic
// telemetry (pxl/demo), the PxL engine over it (pxl), and a Vizier that
// serves the engine over Pixie's real gRPC API on loopback
// (pixie/fakevizier). pxgate queries it through the same client path as a
// real cluster; other Pixie clients can query it too.
//
// [Start] is all the wiring needs; a [*Demo] is also the load knob that
// POST /v1/demo/load turns (handlers.DemoCluster).
package demo

import (
	"context"
	"fmt"

	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pxl"
	"github.com/pxgate/pxgate/pxl/demo"
)

// ClusterID is the demo cluster's id: the one cluster its Vizier answers for.
const ClusterID = demo.ClusterID

// Options configure Start. The zero value serves fresh telemetry on the
// wall clock from a Vizier on a free loopback port.
type Options struct {
	// VizierAddr is the demo Vizier's listen address (plaintext gRPC);
	// empty means 127.0.0.1:0, a free port.
	VizierAddr string
	// Telemetry is the synthetic cluster to serve; nil means
	// demo.New(demo.Options{}) of pxl/demo (wall clock, seed 1). Tests pass
	// one with a fixed seed and clock.
	Telemetry *demo.Cluster
	// KeepRecords makes the Vizier keep a record of every request (tests
	// read them); a long-running demo keeps none.
	KeepRecords bool
}

// Demo is a running demo cluster. Close stops its Vizier.
type Demo struct {
	*demo.Cluster
	vizier *fakevizier.Server
}

// Start generates the demo's telemetry and starts its Vizier. ctx bounds
// the start only; the Vizier serves until Close.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cluster := opts.Telemetry
	if cluster == nil {
		cluster = demo.New(demo.Options{})
	}
	addr := opts.VizierAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	vizier, err := fakevizier.Start(fakevizier.Options{
		Addr:        addr,
		Handler:     Handler(pxl.NewEngine(cluster)),
		NoRecording: !opts.KeepRecords,
	})
	if err != nil {
		return nil, fmt.Errorf("demo cluster: Vizier on %s: %w", addr, err)
	}
	return &Demo{Cluster: cluster, vizier: vizier}, nil
}

// VizierAddr is the address the demo's Vizier listens on (plaintext gRPC):
// dial it directly with ClusterID.
func (d *Demo) VizierAddr() string { return d.vizier.Addr() }

// ClusterID is the id of the demo cluster.
func (d *Demo) ClusterID() string { return ClusterID }

// Close stops the Vizier.
func (d *Demo) Close() { d.vizier.Close() }
