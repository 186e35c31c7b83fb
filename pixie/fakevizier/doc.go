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
//     reset mid-stream, protocol violations). HealthCheck sends one status
//     and keeps the stream open. GenerateOTelScript is Unimplemented.
//   - px.cloudapi.VizierClusterInfo: GetClusterInfo and
//     GetClusterConnectionInfo from Options.Clusters.
//   - px.cloudapi.ScriptMgr: GetScripts and GetScriptContents from
//     Options.Scripts; GetLiveViews is empty.
//
// Like the real services it checks the pixie-api-key metadata (when
// Options.APIKey is set), the request's cluster_id (when Options.ClusterID
// is set), that query_str is present, that every exec_funcs entry has an
// output_table_prefix, and, in DefaultHandler, that a script displays
// something. Every ExecuteScript request is recorded with its metadata
// (Server.Requests), and Server.ActiveStreams shows whether streams have
// ended on the server side.
//
// It deliberately skips: running PxL (a Handler decides every answer);
// end-to-end encryption (a request with encryption_options fails with
// Unimplemented); resuming a query by query_id (DefaultHandler answers
// NotFound; a Handler may program a resume); mutations (mutation requests
// are answered like any other, never with mutation_info); bearer-token
// authentication; periodic health re-sends.
package fakevizier
