// Package pixie is pxgate's own client for Pixie's Vizier API (and the parts
// of Pixie Cloud's API pxgate needs). It speaks the wire protocol described
// by the .proto files in pixie/proto, so it works against a real Pixie Cloud,
// a standalone Vizier, or the fake in pixie/fakevizier.
//
// Results stream: [Client.Execute] hands each table's metadata and each
// decoded row batch to a [Sink] as they arrive, so callers can encode or
// evaluate rows without holding the whole result; [Collector] is the Sink
// that keeps everything for plain JSON answers.
//
// Errors are typed: a PxL compilation failure is a [*CompileError]; every
// other failure is an [*Error] whose [Kind] tells the HTTP layer which status
// to use. Nothing here chooses HTTP statuses.
package pixie
