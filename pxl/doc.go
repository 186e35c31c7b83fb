// Package pxl is a small PxL engine: it compiles Pixie's Python-based
// query language and runs it, columnar, over a Source of telemetry tables
// (the demo cluster of package pxl/demo, or a MemSource). It knows nothing
// of the wire: package demo serves it over Vizier's gRPC API (through
// pixie/fakevizier), so that a real Vizier stream carries the results.
//
// # Use
//
//	engine := pxl.NewEngine(demo.New(demo.Options{}))
//	res, err := engine.Execute(ctx, script, nil)      // or Compile + Program.Run
//
// Compile parses with gpython's Python 3 parser and checks what needs no
// data (syntax, supported constructs, px.* names). Program.Run then
// evaluates the script's Python-level code, which builds a plan of
// DataFrame operators with typed schemas; every column, type and argument
// error is reported (as a *CompileError with Vizier's 1-based line and
// column, at the start of the offending expression) before any data is
// read. The plan is then pruned (sources read only the columns used) and
// executed on typed column vectors.
//
// # Supported PxL
//
// Statements: import px; assignments (names, df.col = ..., df['col'] = ...,
// tuple unpacking, +=); def with positional parameters, defaults, type
// annotations and docstrings; return; if/else on compile-time values;
// expression statements. Python values: int, float, str, bool, None, lists,
// tuples, dicts (string keys), arithmetic, comparisons, and/or/not,
// conditional expressions, indexing, and the builtins str, int, float,
// bool, len, abs, min, max.
//
// DataFrames: px.DataFrame(table, select=[...], start_time=, end_time=)
// with relative times ('-2m', '-1h30m', '-30s', '-1d'), absolute times
// (RFC 3339, or ns since the epoch) or time expressions (px.now() -
// px.minutes(5)); rows have start_time <= time_ < end_time (no end_time: up
// to now). df[cond], df[['a', 'b']], df['a'], df.a, df.a = expr,
// df[True] / df[False] (what `flag or cond` short-circuits to), df.ctx[key],
// df.groupby(col or [cols]).agg(name=(col, px.fn), ...), df.agg(...),
// df.merge(right, how='inner'|'left'|'right'|'outer', left_on=, right_on=,
// suffixes=['_x', '_y']) (left_on=[], right_on=[] is a cross join),
// df.drop(cols) /
// drop(columns=cols), df.head(n=5), df.append(df2 or [dfs]),
// px.display(df, name='output') (px.debug is an alias).
//
// ctx keys (from the upid column; 'pod', 'service', 'namespace', 'node'
// also from a pod_id column): service/service_name, pod/pod_name, pod_id,
// namespace, node/node_name, container/container_name, container_id, pid,
// cmdline/cmd, hostname, asid. ctx['service'] is "namespace/name", or a
// JSON list of them for a pod behind several services; unknown UPIDs give
// "" (pid is decoded from the UPID itself).
//
// Column expressions: + - * / // % and unary -, == != < <= > >=, and, or,
// not; constants mix with columns and constant sub-expressions are folded.
// Aggregates: px.count, sum, mean, min, max, quantiles, any. Row functions:
// px.bin, floor, ceil, round, abs, select, contains, has_service_name,
// regex_match (full match), length, find, substring, toupper, tolower,
// trim, atoi, itoa, pluck, pluck_float64, pluck_int64, now, time_to_int64,
// int64_to_time, DurationNanos, Percent, Bytes, script_reference, the
// replace (regex, input, replacement), split (to a JSON array), pluck_array,
// the upid_to_* functions (pod_name, pod_id, service_name, namespace,
// node_name, hostname, container_name, container_id, cmdline, pid, asid,
// string), pod_id_to_* (pod_name, service_name, namespace, node_name,
// pod_ip), pod_name_to_* (pod_id, pod_ip, namespace, service_name,
// node_name, start_time, status), container_id_to_status, ip_to_pod_id,
// ip_to_service_id, service_id_to_service_name and nslookup (pod IPs to
// <ip>.<namespace>.pod.cluster.local, other IPs unchanged); px.Service(x),
// px.Pod(x), px.Namespace(x), px.Node(x), px.Container(x) give a STRING
// that semantic type. Compile-time: px.parse_duration,
// px.nanoseconds/microseconds/milliseconds/seconds/minutes/hours/days.
// Annotations: str, int, float, bool, px.Service, px.Pod, px.Namespace,
// px.Node, px.Container.
//
// exec_funcs (RunOptions.Funcs): the module runs first with px.display
// producing nothing; each named function is then called with its string
// arguments parsed by the parameter annotations (a parameter without one is
// the compile error "Arg type annotation required"; a missing argument
// takes the default); a returned DataFrame is the table OutputPrefix, a
// list or tuple gives OutputPrefix[0], [1], ... A script that outputs no
// table fails with pxl.NoDisplayMessage (at line 0, column 0).
//
// Protocol and host functions: cql_opcode_name, kafka_api_key_name,
// amqp_frame_type_name, amqp_method_name(class, method), mux_frame_type_name,
// mysql_command_name (a code's name, "Unknown (<code>)" otherwise),
// normalize_pgsql(req, req_cmd) and normalize_mysql(req_body, req_cmd)
// (JSON {"query", "params", "error"}: literals become $n or ?), equal,
// negate, atoi(s[, default]), _exec_hostname, _exec_host_num_cpus;
// compile-time px.parse_time (a start_time string as a TIME64NS constant)
// and px.format_duration (ns to '-10m', '1h30m').
//
// Table functions (DataFrames computed, not scanned): px.GetAgentStatus()
// (one agent per node), GetTables, GetSchemas, GetUDFList, GetUDAList,
// GetUDTFList, GetTracepointStatus and _HeapGrowthStacks(asid), from the
// source's Introspector when it has one.
//
// Modules: `import pxviews` evaluates lib/pxviews.pxl, pxgate's own PxL
// views (container_process_timeseries/summary, pod_resource_stats,
// pod_network_timeseries/summary, inbound_http_summary, http_graph,
// stacktraces, connection_throughput_stats) with the output columns of
// Pixie's pxviews; `px.Node = str` (setting a px attribute) makes later
// px.Node reads in the script give the new value.
//
// Tracepoints: `import pxtrace` gives UpsertTracepoint(name, table_name,
// probe_fn, target, ttl) with a @pxtrace.probe('<symbol>') function
// returning [{column: pxtrace.ArgExpr/RetExpr/FunctionLatency()}], a
// bpftrace program string, pxtrace.TraceProgram or a list of them; targets
// pxtrace.kprobe(), PodProcess, LabelSelector, SharedObject or a UPID;
// DeleteTracepoint(name). Run with RunOptions.Mutation the calls go to the
// source (a Tracer) and the script's tables are computed only once it
// reports them ready (pxtrace.go); otherwise they are ignored.
//
// Not supported (compile errors where they appear, even in functions never
// called): loops, comprehensions, lambda, classes, with/try/raise, other
// imports, slices, *args/**kwargs, decorators other than one
// @pxtrace.probe; unknown px.* and pxtrace.* names; unknown tables and
// columns; type mismatches.
//
// Limits: a script's Python-level evaluation is cut after 1,000,000 steps
// (a compile error: recursion is otherwise unbounded), Python strings and
// lists are bounded, a merge or append may not produce more than 10M rows
// and a query may not materialize more than 200M column values, strings
// built by functions are at most 1 MiB (these are execution errors).
//
// # Types
//
// Data and semantic types are Vizier's. Choices where Pixie's rules are
// not written down:
//
//   - time_ is TIME64NS with ST_NONE, as Vizier reports it; px.bin keeps
//     the type and semantic type of its first argument (TIME64NS for
//     time_); px.now() is TIME64NS.
//   - Arithmetic: INT64 op INT64 is INT64 except '/', which is FLOAT64;
//     with a FLOAT64 operand FLOAT64; TIME64NS - TIME64NS is INT64
//     (ST_DURATION_NS); TIME64NS +/- INT64 is TIME64NS; STRING + STRING
//     concatenates. Integer '%' and '//' by zero give 0; '/' by zero gives
//     an IEEE infinity or NaN.
//   - Semantic types of arithmetic: '+'/'-' keep the semantic type shared by
//     the operands or carried by one of them; '*' keeps the non-ST_NONE
//     side's; '/' by an ST_NONE value keeps the left's; x / duration is
//     ST_THROUGHPUT_PER_NS (x plain or already a throughput) or
//     ST_THROUGHPUT_BYTES_PER_NS (x in ST_BYTES); anything else ST_NONE.
//     Comparisons and logic are BOOLEAN ST_NONE.
//   - px.DurationNanos, px.Percent, px.Bytes set ST_DURATION_NS, ST_PERCENT,
//     ST_BYTES on an INT64 or FLOAT64 without changing its data type.
//   - px.floor/ceil/round return INT64 (semantic type kept); pluck_float64
//     is FLOAT64 ST_NONE and gives 0 for a missing key or a non-number.
//   - Aggregates: count is INT64 ST_NONE; sum keeps INT64/FLOAT64 and the
//     semantic type (BOOLEAN sums to INT64); mean is FLOAT64 with the input's
//     semantic type (ST_NONE for BOOLEAN, a fraction of true); min, max and
//     any keep type and semantic type; quantiles is STRING, ST_QUANTILES or
//     ST_DURATION_NS_QUANTILES for an ST_DURATION_NS input, holding
//     {"p01":..,"p10":..,"p25":..,"p50":..,"p75":..,"p90":..,"p99":..}
//     computed exactly (linear interpolation between closest ranks) where
//     Pixie estimates with a t-digest.
//   - px.select's result has the branches' type (INT64 with FLOAT64 gives
//     FLOAT64) and their semantic type when they agree, or the column
//     branch's when the other is a plain constant.
//   - groupby output: the group columns, then the aggregates in argument
//     order; groups come in order of first appearance in the input (time
//     order for the demo's tables). agg on a whole frame always gives one
//     row (count 0, mean 0 on no rows).
//   - merge output: every left column, then every right column; names in
//     both get the suffixes (key columns included). Unmatched sides of
//     left/right/outer merges hold zero values (0, "", false). Output
//     follows the left frame's row order; unmatched right rows come last.
//   - Output tables are capped at DefaultMaxOutputRows rows (like Vizier's
//     result limit); Engine.SetMaxOutputRows changes it.
package pxl
