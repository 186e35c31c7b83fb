// Package vizier is pxgate's own client for Pixie's Vizier API (and the
// parts of Pixie Cloud's API pxgate needs). It speaks the wire protocol
// described by the .proto files in pixie/proto, so it works against a real
// Pixie Cloud, a standalone Vizier, or the fake in pixie/fakevizier.
//
// Results stream: [Client.Execute] hands each table's metadata and each
// decoded row batch to a [pixie.Sink] as they arrive, so callers can encode
// or evaluate rows without holding the whole result. Every value crossing
// this package's API is a package pixie type: the generated protobuf code
// stays inside pixie/.
package vizier
