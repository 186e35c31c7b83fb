package main

import (
	"fmt"
	"log/slog"

	"github.com/pxgate/pxgate/config"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pxl"
	"github.com/pxgate/pxgate/pxl/demo"
)

// demoCluster is the embedded demo: synthetic telemetry, the PxL engine over
// it, and a Vizier speaking the real gRPC protocol on loopback, so pxgate
// queries it through the same client path as a real cluster.
type demoCluster struct {
	cluster *demo.Cluster
	vizier  *fakevizier.Server
}

func startDemo(cfg *config.Config, logger *slog.Logger) (*demoCluster, error) {
	cluster := demo.New(demo.Options{})
	vizier, err := fakevizier.Start(fakevizier.Options{
		Addr:        cfg.DemoVizierAddr,
		Handler:     pxl.NewEngine(cluster).Handler(),
		NoRecording: true, // it serves for days: keep no per-request record
	})
	if err != nil {
		return nil, fmt.Errorf("demo cluster: PXGATE_DEMO_VIZIER_ADDR %s: %w", cfg.DemoVizierAddr, err)
	}
	logger.Info("no Pixie credentials: serving the embedded demo cluster (synthetic telemetry)",
		"vizier_addr", vizier.Addr(), "cluster_id", demo.ClusterID, "services", cluster.Services())
	return &demoCluster{cluster: cluster, vizier: vizier}, nil
}

func (d *demoCluster) Close() { d.vizier.Close() }
