// Package pixieproto holds pxgate's own protocol definitions for the part of
// Pixie's API it uses, and the Go code generated from them (subpackages
// vizierpb, cloudpb, uuidpb). Regenerate with gen.sh; the test in this
// package fails when the committed Go code no longer matches the .proto files.
package pixieproto
