// Package pxgate is the root of the pxgate module: an HTTP gateway that runs
// PxL on Pixie and answers rows plus a verdict. The program lives in
// cmd/server; this package only carries files embedded from the module root.
package pxgate

import _ "embed" // for go:embed

// OpenAPI is the HTTP API contract (openapi.yaml at the module root), served
// at GET /openapi.yaml and checked against real responses by the handler
// tests. It must not be modified.
//
//go:embed openapi.yaml
var OpenAPI []byte
