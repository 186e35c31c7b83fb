// Package fakevizier is a fake of Pixie's Vizier API, and of the
// cloud-side services next to it, served over real gRPC on a local port and
// programmable per test (and, later, by pxgate's demo mode).
//
// What it serves, on one listener:
//
//   - px.api.vizierpb.VizierService: ExecuteScript streams what a Plan
//     describes, in the order a real Vizier uses (all meta_data, then row
//     batches interleaved across tables with eos on each table's last, then
//     execution_stats; every response carries the query id), or a compile
//     error, a status, a gRPC error, or injected faults (delays, a hang, a
//     reset mid-stream, protocol violations). With encryption_options it
//     sends every row batch as encrypted_batch: a JWE (compact
//     serialization, RSA-OAEP-256 key wrapping, A256GCM, DEFLATE when
//     compression_alg is DEF) of the serialized RowBatchData, made with
//     go-jose; Plan.Encryption simulates a Vizier that ignores the option
//     or sends undecryptable batches. HealthCheck sends one status and
//     keeps the stream open. GenerateOTelScript is Unimplemented.
//   - px.cloudapi.VizierClusterInfo: GetClusterInfo and
//     GetClusterConnectionInfo from Options.Clusters.
//   - px.cloudapi.ScriptMgr: GetScripts and GetScriptContents from
//     Options.Scripts; GetLiveViews and GetLiveViewContents from those
//     with a Vis (SampleLibrary has live views shaped like Pixie's).
//
// Like the real services it checks the pixie-api-key metadata (when
// Options.APIKey is set), the request's cluster_id (when Options.ClusterID
// is set), that query_str is present, that every exec_funcs entry has an
// output_table_prefix, that encryption_options name the supported
// algorithms (KeyAlg, ContentAlg, CompressionAlg or none) and an RSA public
// JWK (InvalidArgument otherwise; stricter than Vizier, a JWK with private
// parts is refused too), and, in DefaultHandler, that a script displays
// something. Every ExecuteScript request is recorded with its metadata
// (Server.Requests), and Server.ActiveStreams shows whether streams have
// ended on the server side.
//
// Resume: a Plan with ResetAfter breaks its stream like a transport reset
// and keeps the query, so that a resume request (query_id, no query_str)
// goes on from the next message; other resume requests reach the Handler
// (DefaultHandler answers NotFound).
//
// It deliberately skips: running PxL (a Handler decides every answer; the
// demo's engine is one); mutations (mutation requests are answered like any
// other, never with mutation_info); bearer-token authentication; periodic
// health re-sends.
package fakevizier
