package demo

import (
	"cmp"
	"slices"
	"sort"

	"github.com/pxgate/pxgate/pxl"
)

// The tables the demo cluster serves.
const (
	tHTTP = iota
	tProcess
	tConn
	tNetwork
	tPgSQL
	tMySQL
	tRedis
	tDNS
	tCQL
	tKafka
	tNATS
	tMongo
	tAMQP
	tMux
	tJVM
	tStacks
	tStirlingErr
	tProbeStatus
	numTables
)

var tableNames = [numTables]string{"http_events", "process_stats", "conn_stats", "network_stats",
	"pgsql_events", "mysql_events", "redis_events", "dns_events", "cql_events", "kafka_events.beta",
	"nats_events.beta", "mongodb_events", "amqp_events", "mux_events", "jvm_stats", "stack_traces.beta",
	"stirling_error", "probe_status"}

func col(name string, t pxl.DataType, sem pxl.SemanticType) pxl.ColumnInfo {
	return pxl.ColumnInfo{Name: name, Type: t, Semantic: sem}
}

// relations are the table schemas, as Vizier reports them.
var relations = [numTables]pxl.Relation{
	tHTTP: traced(
		col("major_version", pxl.Int64, pxl.STNone),
		col("minor_version", pxl.Int64, pxl.STNone),
		col("content_type", pxl.Int64, pxl.STNone),
		col("req_headers", pxl.String, pxl.STNone),
		col("req_method", pxl.String, pxl.STHTTPReqMethod),
		col("req_path", pxl.String, pxl.STNone),
		col("req_body", pxl.String, pxl.STNone),
		col("req_body_size", pxl.Int64, pxl.STBytes),
		col("resp_headers", pxl.String, pxl.STNone),
		col("resp_status", pxl.Int64, pxl.STHTTPRespStatus),
		col("resp_message", pxl.String, pxl.STHTTPRespMessage),
		col("resp_body", pxl.String, pxl.STNone),
		col("resp_body_size", pxl.Int64, pxl.STBytes),
		latency,
	),
	tProcess: {
		col("time_", pxl.Time64, pxl.STNone),
		col("upid", pxl.UInt128, pxl.STUPID),
		col("major_faults", pxl.Int64, pxl.STNone),
		col("minor_faults", pxl.Int64, pxl.STNone),
		col("cpu_utime_ns", pxl.Int64, pxl.STDurationNS),
		col("cpu_ktime_ns", pxl.Int64, pxl.STDurationNS),
		col("num_threads", pxl.Int64, pxl.STNone),
		col("vsize_bytes", pxl.Int64, pxl.STBytes),
		col("rss_bytes", pxl.Int64, pxl.STBytes),
		col("rchar_bytes", pxl.Int64, pxl.STBytes),
		col("wchar_bytes", pxl.Int64, pxl.STBytes),
		col("read_bytes", pxl.Int64, pxl.STBytes),
		col("write_bytes", pxl.Int64, pxl.STBytes),
	},
	tConn: {
		col("time_", pxl.Time64, pxl.STNone),
		col("upid", pxl.UInt128, pxl.STUPID),
		col("remote_addr", pxl.String, pxl.STIPAddress),
		col("remote_port", pxl.Int64, pxl.STPort),
		col("trace_role", pxl.Int64, pxl.STNone),
		col("addr_family", pxl.Int64, pxl.STNone),
		col("protocol", pxl.Int64, pxl.STNone),
		col("ssl", pxl.Boolean, pxl.STNone),
		col("conn_open", pxl.Int64, pxl.STNone),
		col("conn_close", pxl.Int64, pxl.STNone),
		col("conn_active", pxl.Int64, pxl.STNone),
		col("bytes_sent", pxl.Int64, pxl.STBytes),
		col("bytes_recv", pxl.Int64, pxl.STBytes),
	},
	tNetwork: {
		col("time_", pxl.Time64, pxl.STNone),
		col("pod_id", pxl.String, pxl.STNone),
		col("rx_bytes", pxl.Int64, pxl.STBytes),
		col("rx_packets", pxl.Int64, pxl.STNone),
		col("rx_errors", pxl.Int64, pxl.STNone),
		col("rx_drops", pxl.Int64, pxl.STNone),
		col("tx_bytes", pxl.Int64, pxl.STBytes),
		col("tx_packets", pxl.Int64, pxl.STNone),
		col("tx_errors", pxl.Int64, pxl.STNone),
		col("tx_drops", pxl.Int64, pxl.STNone),
	},
	tPgSQL:       traced(str("req_cmd"), str("req"), str("resp"), latency),
	tMySQL:       traced(i64("req_cmd"), str("req_body"), i64("resp_status"), str("resp_body"), latency),
	tRedis:       traced(str("req_cmd"), str("req_args"), str("resp"), latency),
	tDNS:         traced(str("req_header"), str("req_body"), str("resp_header"), str("resp_body"), latency),
	tCQL:         traced(i64("req_op"), str("req_body"), i64("resp_op"), str("resp_body"), latency),
	tKafka:       traced(i64("req_cmd"), str("client_id"), str("req_body"), str("resp"), latency),
	tNATS:        traced(str("cmd"), str("body"), str("resp")),
	tMongo:       traced(str("req_cmd"), str("req_body"), str("resp_status"), str("resp_body"), latency),
	tAMQP:        traced(i64("frame_type"), i64("channel"), i64("req_class_id"), i64("req_method_id"), i64("resp_class_id"), i64("resp_method_id"), str("req_msg"), str("resp_msg"), latency),
	tMux:         traced(i64("req_type"), latency),
	tJVM:         sampled(col("young_gc_time", pxl.Int64, pxl.STDurationNS), col("full_gc_time", pxl.Int64, pxl.STDurationNS), i64("used_heap_size"), i64("total_heap_size"), i64("max_heap_size")),
	tStacks:      sampled(i64("stack_trace_id"), str("stack_trace"), i64("count")),
	tStirlingErr: sampled(str("source_connector"), i64("status"), str("error"), str("context")),
	tProbeStatus: sampled(str("source_connector"), str("tracepoint"), i64("status"), str("error"), str("info")),
}

// Column helpers for the protocol tables' schemas (Stirling's names and
// types): every traced protocol table starts with the connection's columns.
var (
	latency  = col("latency", pxl.Int64, pxl.STDurationNS)
	connCols = []pxl.ColumnInfo{
		col("time_", pxl.Time64, pxl.STNone),
		col("upid", pxl.UInt128, pxl.STUPID),
		col("remote_addr", pxl.String, pxl.STIPAddress),
		col("remote_port", pxl.Int64, pxl.STPort),
		col("local_addr", pxl.String, pxl.STIPAddress),
		col("local_port", pxl.Int64, pxl.STPort),
		col("trace_role", pxl.Int64, pxl.STNone),
		col("encrypted", pxl.Boolean, pxl.STNone),
	}
)

func str(name string) pxl.ColumnInfo { return col(name, pxl.String, pxl.STNone) }
func i64(name string) pxl.ColumnInfo { return col(name, pxl.Int64, pxl.STNone) }

// traced is a protocol table: the connection's columns, then own.
func traced(own ...pxl.ColumnInfo) pxl.Relation {
	return append(append(pxl.Relation{}, connCols...), own...)
}

// sampled is a table of per-process samples: time_, upid, then own.
func sampled(own ...pxl.ColumnInfo) pxl.Relation {
	return append(pxl.Relation{connCols[0], connCols[1]}, own...)
}

// ccol is one column of a table being built: INT64/TIME64NS values as
// int64, BOOLEAN as bool, UPIDs as an index into the cluster's pods,
// STRING as codes into the column's own dictionary.
type ccol struct {
	ints  []int64
	bools []bool
	pods  []uint16
	codes []uint16
	dict  []string
}

// tchunk is one table's rows generated in one second, sorted by time_. Its
// columns are packed by storage kind, column after column (n values each,
// in relation order: slots says where), so that a table of a few rows a
// second costs a handful of allocations rather than a few per column; the
// STRING columns' dictionaries share dict, each from its dictBase.
type tchunk struct {
	n          int
	minT, maxT int64
	slots      []int // the table's layout (slotsOf)
	ints       []int64
	bools      []bool
	pods       []uint16
	codes      []uint16
	dict       []string
	dictBase   []uint32 // per STRING column, and its end
}

// tableSlots is, per table and relation column, the column's index among
// the table's columns of its storage kind.
var tableSlots = func() (out [numTables][]int) {
	for t, rel := range relations {
		out[t] = slotsOf(rel)
	}
	return out
}()

func slotsOf(rel pxl.Relation) []int {
	var counts [numKinds]int
	slots := make([]int, len(rel))
	for i, c := range rel {
		k := storageKind(c.Type)
		slots[i] = counts[k]
		counts[k]++
	}
	return slots
}

// The storage kinds of a chunk's columns: the slice a column lives in.
const (
	kindInt  = iota // INT64, TIME64NS: ints
	kindBool        // BOOLEAN: bools
	kindPod         // UINT128 (UPIDs): pods
	kindStr         // STRING: codes, with dict
	numKinds
)

// storageKind is the storage kind of a column of type t.
func storageKind(t pxl.DataType) int {
	switch t {
	case pxl.Boolean:
		return kindBool
	case pxl.UInt128:
		return kindPod
	case pxl.String:
		return kindStr
	}
	return kindInt
}

func (t *tchunk) intCol(i int) []int64 { s := t.slots[i] * t.n; return t.ints[s : s+t.n] }
func (t *tchunk) boolCol(i int) []bool { s := t.slots[i] * t.n; return t.bools[s : s+t.n] }
func (t *tchunk) podCol(i int) []uint16 {
	s := t.slots[i] * t.n
	return t.pods[s : s+t.n]
}

// strCol returns a STRING column's codes and its dictionary.
func (t *tchunk) strCol(i int) ([]uint16, []string) {
	k := t.slots[i]
	s := k * t.n
	return t.codes[s : s+t.n], t.dict[t.dictBase[k]:t.dictBase[k+1]]
}

// times returns the time_ column (column 0).
func (t *tchunk) times() []int64 { return t.ints[:t.n] }

// chunk is everything generated for one second.
type chunk struct {
	sec  int64 // unix seconds
	tabs [numTables]*tchunk
}

// rows returns the number of rows of all tables.
func (c *chunk) rows() int {
	n := 0
	for _, t := range c.tabs {
		if t != nil {
			n += t.n
		}
	}
	return n
}

// tableBuilder accumulates rows of one table column by column.
type tableBuilder struct {
	rel   pxl.Relation
	slots []int
	cols  []ccol
	dicts []map[string]uint16
}

func newTableBuilder(t int) *tableBuilder {
	rel := relations[t]
	b := &tableBuilder{rel: rel, slots: tableSlots[t], cols: make([]ccol, len(rel)), dicts: make([]map[string]uint16, len(rel))}
	for i, c := range rel {
		if c.Type == pxl.String {
			b.dicts[i] = make(map[string]uint16)
		}
	}
	return b
}

func (b *tableBuilder) int(i int, v int64) { b.cols[i].ints = append(b.cols[i].ints, v) }
func (b *tableBuilder) bool(i int, v bool) { b.cols[i].bools = append(b.cols[i].bools, v) }
func (b *tableBuilder) pod(i int, p int)   { b.cols[i].pods = append(b.cols[i].pods, uint16(p)) }
func (b *tableBuilder) str(i int, s string) {
	d := b.dicts[i]
	code, ok := d[s]
	if !ok {
		code = uint16(len(b.cols[i].dict))
		d[s] = code
		b.cols[i].dict = append(b.cols[i].dict, s)
	}
	b.cols[i].codes = append(b.cols[i].codes, code)
}

// finish returns the chunk, its rows sorted by time_ (column 0) and packed.
func (b *tableBuilder) finish() *tchunk {
	if len(b.cols) == 0 {
		return nil
	}
	n := len(b.cols[0].ints)
	if n == 0 {
		return nil
	}
	var perm []int32
	if times := b.cols[0].ints; !slices.IsSorted(times) {
		perm = make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		slices.SortStableFunc(perm, func(i, j int32) int { return cmp.Compare(times[i], times[j]) })
	}
	return b.pack(n, perm)
}

// pack copies the columns, in perm's order when it is set, into one slice
// per storage kind.
func (b *tableBuilder) pack(n int, perm []int32) *tchunk {
	var counts [numKinds]int
	dictLen := 0
	for i, c := range b.rel {
		counts[storageKind(c.Type)]++
		dictLen += len(b.cols[i].dict)
	}
	t := &tchunk{n: n, slots: b.slots}
	t.ints = make([]int64, 0, counts[kindInt]*n)
	if counts[kindBool] > 0 {
		t.bools = make([]bool, 0, counts[kindBool]*n)
	}
	if counts[kindPod] > 0 {
		t.pods = make([]uint16, 0, counts[kindPod]*n)
	}
	if counts[kindStr] > 0 {
		t.codes = make([]uint16, 0, counts[kindStr]*n)
		t.dict = make([]string, 0, dictLen)
		t.dictBase = make([]uint32, 1, counts[kindStr]+1)
	}
	for i, c := range b.rel {
		col := &b.cols[i]
		switch storageKind(c.Type) {
		case kindInt:
			t.ints = appendPermuted(t.ints, col.ints, perm)
		case kindBool:
			t.bools = appendPermuted(t.bools, col.bools, perm)
		case kindPod:
			t.pods = appendPermuted(t.pods, col.pods, perm)
		case kindStr:
			t.codes = appendPermuted(t.codes, col.codes, perm)
			t.dict = append(t.dict, col.dict...)
			t.dictBase = append(t.dictBase, uint32(len(t.dict)))
		}
	}
	times := t.times()
	t.minT, t.maxT = times[0], times[n-1]
	return t
}

// appendPermuted appends s to dst in perm's order (as it is when perm is
// nil), without an intermediate copy.
func appendPermuted[T any](dst, s []T, perm []int32) []T {
	if perm == nil {
		return append(dst, s...)
	}
	for _, j := range perm {
		dst = append(dst, s[j])
	}
	return dst
}

// bytes estimates the chunk's memory.
func (t *tchunk) bytes() int64 {
	if t == nil {
		return 0
	}
	n := int64(160) + 8*int64(cap(t.ints)) + int64(cap(t.bools)) + 2*int64(cap(t.pods)) + 2*int64(cap(t.codes)) + 4*int64(cap(t.dictBase))
	for _, s := range t.dict {
		n += 16 + int64(len(s))
	}
	return n
}

// scanChunks materializes the requested columns of the rows with time_ in
// [start, end) from chunks (ordered by time).
func scanChunks(chunks []*tchunk, rel pxl.Relation, colIdx []int, start, end int64, upids []pxl.U128) []pxl.Vector {
	type part struct {
		c      *tchunk
		lo, hi int
	}
	var parts []part
	total := 0
	for _, c := range chunks {
		if c == nil || c.maxT < start || c.minT >= end {
			continue
		}
		times := c.times()
		lo := sort.Search(c.n, func(i int) bool { return times[i] >= start })
		hi := sort.Search(c.n, func(i int) bool { return times[i] >= end })
		if hi > lo {
			parts = append(parts, part{c, lo, hi})
			total += hi - lo
		}
	}
	out := make([]pxl.Vector, len(colIdx))
	for k, ci := range colIdx {
		v := pxl.Vector{Type: rel[ci].Type}
		switch v.Type {
		case pxl.Int64, pxl.Time64:
			v.Ints = make([]int64, 0, total)
			for _, p := range parts {
				v.Ints = append(v.Ints, p.c.intCol(ci)[p.lo:p.hi]...)
			}
		case pxl.Boolean:
			v.Bools = make([]bool, 0, total)
			for _, p := range parts {
				v.Bools = append(v.Bools, p.c.boolCol(ci)[p.lo:p.hi]...)
			}
		case pxl.UInt128:
			v.U128s = make([]pxl.U128, 0, total)
			for _, p := range parts {
				for _, i := range p.c.podCol(ci)[p.lo:p.hi] {
					v.U128s = append(v.U128s, upids[i])
				}
			}
		case pxl.String:
			v.Strs = make([]string, 0, total)
			for _, p := range parts {
				codes, d := p.c.strCol(ci)
				for _, code := range codes[p.lo:p.hi] {
					v.Strs = append(v.Strs, d[code])
				}
			}
		}
		out[k] = v
	}
	return out
}
