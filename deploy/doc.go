// Package deploy holds pxgate's deployment artefacts: the Helm chart in
// helm/pxgate. It has no Go code of its own; its tests render the chart
// in-process with Helm's packages, decode every manifest strictly into the
// Kubernetes API types and check the settings that matter (security
// context, probes, the environment variables config.Config reads, secrets),
// so `go test ./...` in this directory covers the chart without a helm
// binary or a cluster.
//
// deploy is a module of its own (github.com/pxgate/pxgate/deploy): Helm and
// the Kubernetes API types are its dependencies, not the gateway's. It uses
// the gateway's packages from this checkout (replace ../ in go.mod), so run
// its tests here: cd deploy && go test ./...
package deploy
