// Package demo is a synthetic Kubernetes cluster for pxgate's demo mode: a
// pxl.Source whose telemetry behaves like Pixie's for a few microservices,
// so that PxL scripts (the seed's LET script among them) run with no Pixie.
// The root package demo serves it over Vizier's gRPC API.
//
//	cluster := demo.New(demo.Options{})          // wall clock, seed 1
//	res, err := pxl.NewEngine(cluster).Execute(ctx, script, nil)
//	cluster.AddLoad("default/consumer", 100, time.Minute) // overload it
//
// # Topology
//
// Namespace default: frontend (3 pods) receives ~20 requests/s from outside
// (GET /, GET /api/orders, GET /api/catalog, POST /api/cart) and calls
// consumer (GET /orders, ~10/s), catalog (GET /products) and cart (POST
// /cart/items); consumer (2 pods) calls producer (GET /produce) for each
// request; loadgen sends the load added by AddLoad. Namespace px-operator:
// vizier-operator polls the Kubernetes API (10.96.0.1:443, TLS) every 5 s.
// Every pod answers kubelet /healthz and /readyz probes every 10 s. Pods are
// named like Kubernetes does (default/consumer-<9 chars>-<5 chars>), spread
// over three nodes, with pod IPs, UIDs, containers and one traced process
// each (UPID = node as ASID, pid, start time in ticks).
//
// # Telemetry
//
//   - http_events: for every request, a server-side row (trace_role 2) at
//     the serving pod, remote_addr the client's IP (an external IP for
//     frontend, the kubelet's node IP for probes; "-" for 0.3% of rows,
//     unresolved), and a client-side row (trace_role 1) at the calling pod
//     when the caller is in the cluster; latency in ns; time_ when the
//     response completes. Status: mostly 200, a few 400/404 and 500.
//   - process_stats: every 10 s per process: cumulative CPU (grows with
//     idle cost and served requests), faults and I/O bytes; RSS and vsize.
//   - conn_stats: every 10 s per (process, remote address, remote port,
//     role): cumulative connections opened/closed, active, bytes sent and
//     received.
//   - network_stats: every 10 s per pod: cumulative rx/tx bytes and packets.
//   - Protocol tables (Stirling's schemas; protocols.go): client-side rows
//     (trace_role 1) of the backends the services call while serving each
//     request, from the same pods at the same times as http_events:
//     catalog on PostgreSQL (pgsql_events), MySQL (mysql_events), MongoDB
//     (mongodb_events) and a Mux recommender (mux_events); cart on Redis
//     (redis_events) and NATS (nats_events.beta); producer on Kafka
//     (kafka_events.beta: Produce; consumer's Fetch of the same partition
//     and offset a few ms later; a JoinGroup/SyncGroup rebalance a minute)
//     and Cassandra (cql_events); consumer on RabbitMQ (amqp_events). Every
//     pod resolves its backends through kube-dns every 5 s (dns_events).
//     Past a service's capacity its calls slow down (1 + 3u³ for load u,
//     capped at u = 3) and fail more (+5% per unit of load over 1).
//   - Tracepoint tables (tracepoints.go): a mutating pxtrace script's
//     tracepoint deploys for Options.DeployTime (1.5 s) on the clock, then
//     its table has rows computed on scan (not stored): each target process
//     makes ~3 calls a second since the first upsert; columns are upid and
//     time_ then the probe's outputs, or a bpftrace printf's fields.
//   - jvm_stats (consumer runs on the JVM) and stack_traces.beta (every
//     process's sampled stacks) every 10 s; stirling_error and
//     probe_status once a minute per node (all deployed, no errors).
//
// # Load model
//
// Each second, each service receives a Poisson number of requests; its own
// processing time is log-normal around a per-service median (consumer 58 ms,
// producer 22 ms, so consumer's server-side p99 is ~150-250 ms at rest). A
// per-service queue adds waiting time: M/M/1-like as arrivals approach the
// capacity (consumer: 50 requests/s), and a backlog once they pass it, up
// to 2 s of work; what overflows fails fast with 503. So +100 requests/s on
// consumer for 60 s drives the seed's LET p99 to seconds and its error rate
// to ~50%, and it recovers once the load ends.
//
// # Generation and memory
//
// Generation is lazy: Scan and AddLoad first generate every whole second
// elapsed since the last call (the first call fills the whole window), then
// drop what is older than the window (default 15 minutes). After an idle gap
// longer than the window, counters are advanced at idle rates and only the
// window is generated. Each second is generated from its own random stream
// (seed, second), so two clusters with one seed whose clocks read the same
// when used hold identical data (the http_events of a second depend only
// on the seed, the second and the load added before it; cumulative
// counters of process/conn/network stats start at the first use).
// Storage is one immutable columnar chunk per second and table, its columns
// packed by kind into a few slices (per-column string dictionaries with
// 16-bit codes, UPIDs as pod indexes): 15 minutes at rest are ~70k
// http_events rows, ~160k rows in all and ~27 MiB (MemoryBytes; ~9 MiB of
// it http_events; `go run ./bench/demomem` measures the process). Under extreme load
// (AddLoad accepts up to MaxExtraRPS per service at any moment) the oldest seconds are
// dropped early to keep at most Options.MaxRows rows (default 1M, ~130
// MiB). Scans copy the requested columns of the chunks in range out of the
// lock.
package demo
