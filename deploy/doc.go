// Package deploy holds pxgate's deployment artefacts: the Helm chart in
// helm/pxgate. It has no Go code of its own; its tests render the chart
// in-process with Helm's packages, decode every manifest strictly into the
// Kubernetes API types and check the settings that matter (security
// context, probes, the environment variables config.Config reads, secrets),
// so `go test ./...` covers the chart without a helm binary or a cluster.
package deploy
