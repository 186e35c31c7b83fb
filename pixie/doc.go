// Package pixie is the vocabulary pxgate's layers share about Pixie: a
// query ([Request]), its streamed results ([TableMeta], [Batch], [Sink],
// [Collector]), column types ([DataType], [SemanticType]), clusters,
// library scripts and typed errors. It imports no generated protobuf code
// and no gRPC, so the HTTP side (handlers, render, probe, tolerance) can
// depend on it without knowing the wire; package [github.com/pxgate/pxgate/pixie/vizier]
// is the client that speaks Vizier's and Pixie Cloud's gRPC API.
//
// Errors are typed: a PxL compilation failure is a [*CompileError]; every
// other failure is an [*Error] whose [Kind] tells the HTTP layer which status
// to use. Nothing here chooses HTTP statuses.
package pixie
