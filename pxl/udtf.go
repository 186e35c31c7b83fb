package pxl

import (
	"sort"
	"strconv"
	"strings"
)

// Pixie's table functions (UDTFs): px.GetAgentStatus(), px.GetTables()...
// are DataFrames computed from the source's own description rather than
// scanned from a table.

// Introspector is a Source that describes itself: its tables, the nodes
// its agents run on and its tracepoints. Sources without it get agents on
// the nodes of their metadata's pods, and no tables or tracepoints.
type Introspector interface {
	// Tables lists the source's table names.
	Tables() []string
	// Nodes lists the cluster's nodes (one agent each).
	Nodes() []NodeInfo
	// Tracepoints lists the tracepoints deployed or deploying.
	Tracepoints() []TracepointInfo
}

// NodeInfo is one node of the cluster, for px.GetAgentStatus.
type NodeInfo struct {
	Name, IP  string
	StartTime int64 // ns since the epoch
}

// TracepointInfo is one tracepoint, for px.GetTracepointStatus.
type TracepointInfo struct {
	ID     U128
	Name   string
	State  string // as Vizier's GetTracepointStatus: pending, running, failed, terminated
	Status string // JSON status, "" when healthy
	Tables []string
}

// udtf is one table function: its output relation, its arguments (names,
// all optional) and the columns it computes.
type udtf struct {
	name string
	rel  Relation
	args []string
	rows func(x *udtfCall) []Vector
}

// udtfCall is one evaluation of a table function.
type udtfCall struct {
	src  Source
	meta *Metadata
	now  int64
	args []any
}

func ucol(name string, t DataType) ColumnInfo {
	return ColumnInfo{Name: name, Type: t, Semantic: STNone}
}

// udtfs are the table functions the engine knows, by name.
var udtfs = map[string]*udtf{
	"GetAgentStatus": {name: "GetAgentStatus", args: []string{"include_kelvin"}, rel: Relation{
		ucol("agent_id", UInt128), ucol("asid", Int64), ucol("hostname", String), ucol("ip_address", String),
		ucol("agent_state", String), ucol("create_time", Time64), ucol("last_heartbeat_ns", Int64),
		ucol("kernel_headers_installed", Boolean)}, rows: agentStatusRows},
	"GetTables": {name: "GetTables", rel: Relation{ucol("table_name", String), ucol("table_desc", String)}, rows: tablesRows},
	"GetSchemas": {name: "GetSchemas", rel: Relation{ucol("table_name", String), ucol("column_name", String),
		ucol("column_type", String), ucol("pattern_type", String), ucol("column_desc", String)}, rows: schemasRows},
	"GetUDFList":  {name: "GetUDFList", rel: Relation{ucol("name", String), ucol("return_type", String), ucol("args", String)}, rows: udfRows},
	"GetUDAList":  {name: "GetUDAList", rel: Relation{ucol("name", String), ucol("return_type", String), ucol("args", String)}, rows: udaRows},
	"GetUDTFList": {name: "GetUDTFList", rel: Relation{ucol("name", String), ucol("executor", String), ucol("init_args", String), ucol("output_relation", String)}}, // rows: udtfRows, set in init
	"GetTracepointStatus": {name: "GetTracepointStatus", rel: Relation{ucol("tracepoint_id", UInt128), ucol("name", String),
		ucol("state", String), ucol("status", String), ucol("output_tables", String)}, rows: tracepointRows},
	"_HeapGrowthStacks": {name: "_HeapGrowthStacks", args: []string{"asid"}, rel: Relation{ucol("asid", Int64), ucol("heap", String)}, rows: heapRows},
}

func init() { udtfs["GetUDTFList"].rows = udtfRows }

// newUDTF is px.Name(args...): a DataFrame of the function's rows.
func newUDTF(f *udtf) func(in *interp, ci *callInfo) any {
	return func(in *interp, ci *callInfo) any {
		a := in.bindArgs(ci, "px."+f.name, f.args, 0)
		n := in.newNode(nSource, f.rel)
		n.table = "px." + f.name + "()"
		n.udtf = f
		for _, x := range a {
			n.udtfArgs = append(n.udtfArgs, x.v)
		}
		return &dataFrame{node: n}
	}
}

// udtfTable computes a table function's output.
func (x *executor) udtfTable(n *node) *Table {
	c := &udtfCall{src: x.src, meta: x.ec.meta, now: x.ec.now, args: n.udtfArgs}
	vecs := n.udtf.rows(c)
	t := &Table{Name: n.table, Columns: make([]Column, len(n.rel))}
	for i, info := range n.rel {
		t.Columns[i] = NewColumn(info, vecs[i])
	}
	return t
}

// nodes are the source's nodes, or those its pods run on.
func (c *udtfCall) nodes() []NodeInfo {
	if is, ok := c.src.(Introspector); ok {
		return is.Nodes()
	}
	seen := map[string]bool{}
	var out []NodeInfo
	for _, p := range c.meta.Pods() {
		if !seen[p.Node] {
			seen[p.Node] = true
			out = append(out, NodeInfo{Name: p.Node})
		}
	}
	return out
}

func agentStatusRows(c *udtfCall) []Vector {
	nodes := c.nodes()
	v := make([]Vector, 8)
	for i, nd := range nodes {
		asid := int64(i + 1)
		v[0].U128s = append(v[0].U128s, U128{High: 0xa9e7 << 48, Low: uint64(asid)})
		v[1].Ints = append(v[1].Ints, asid)
		v[2].Strs = append(v[2].Strs, nd.Name)
		v[3].Strs = append(v[3].Strs, nd.IP)
		v[4].Strs = append(v[4].Strs, "AGENT_STATE_HEALTHY")
		v[5].Ints = append(v[5].Ints, nd.StartTime)
		v[6].Ints = append(v[6].Ints, 1_500_000_000+int64(i)*200_000_000) // ns since the last heartbeat
		v[7].Bools = append(v[7].Bools, true)
	}
	return v
}

// tables are the source's table names, sorted.
func (c *udtfCall) tables() []string {
	var names []string
	if is, ok := c.src.(Introspector); ok {
		names = append(names, is.Tables()...)
	}
	sort.Strings(names)
	return names
}

func tablesRows(c *udtfCall) []Vector {
	v := make([]Vector, 2)
	for _, t := range c.tables() {
		v[0].Strs = append(v[0].Strs, t)
		v[1].Strs = append(v[1].Strs, "")
	}
	return v
}

func schemasRows(c *udtfCall) []Vector {
	v := make([]Vector, 5)
	for _, t := range c.tables() {
		rel, _ := c.src.Schema(t)
		for _, col := range rel {
			v[0].Strs = append(v[0].Strs, t)
			v[1].Strs = append(v[1].Strs, col.Name)
			v[2].Strs = append(v[2].Strs, col.Type.String())
			v[3].Strs = append(v[3].Strs, "GENERAL")
			v[4].Strs = append(v[4].Strs, col.Desc)
		}
	}
	return v
}

// funcRows lists functions by name with their argument counts.
func funcRows(names []string, args func(string) string) []Vector {
	sort.Strings(names)
	v := make([]Vector, 3)
	for _, n := range names {
		v[0].Strs = append(v[0].Strs, n)
		v[1].Strs = append(v[1].Strs, "")
		v[2].Strs = append(v[2].Strs, args(n))
	}
	return v
}

func udfRows(*udtfCall) []Vector {
	var names []string
	for n := range pxScalars {
		names = append(names, n)
	}
	return funcRows(names, func(n string) string {
		f := pxScalars[n]
		if f.minArgs == f.maxArgs {
			return strconv.Itoa(f.minArgs) + " argument(s)"
		}
		return strconv.Itoa(f.minArgs) + "-" + strconv.Itoa(f.maxArgs) + " argument(s)"
	})
}

func udaRows(*udtfCall) []Vector {
	var names []string
	for n := range pxAggs {
		names = append(names, n)
	}
	return funcRows(names, func(string) string { return "1 argument(s)" })
}

func udtfRows(*udtfCall) []Vector {
	var names []string
	for n := range udtfs {
		names = append(names, n)
	}
	sort.Strings(names)
	v := make([]Vector, 4)
	for _, n := range names {
		v[0].Strs = append(v[0].Strs, n)
		v[1].Strs = append(v[1].Strs, "UDTF_ONE_KELVIN")
		v[2].Strs = append(v[2].Strs, strings.Join(udtfs[n].args, ","))
		v[3].Strs = append(v[3].Strs, strings.Join(udtfs[n].rel.Names(), ","))
	}
	return v
}

func tracepointRows(c *udtfCall) []Vector {
	v := make([]Vector, 5)
	is, ok := c.src.(Introspector)
	if !ok {
		return v
	}
	for _, tp := range is.Tracepoints() {
		v[0].U128s = append(v[0].U128s, tp.ID)
		v[1].Strs = append(v[1].Strs, tp.Name)
		v[2].Strs = append(v[2].Strs, tp.State)
		v[3].Strs = append(v[3].Strs, tp.Status)
		v[4].Strs = append(v[4].Strs, `["`+strings.Join(tp.Tables, `","`)+`"]`)
	}
	return v
}

// heapRows is each agent's heap growth profile (pprof's text form), or
// only the asid asked for.
func heapRows(c *udtfCall) []Vector {
	want := int64(-1)
	if len(c.args) > 0 {
		switch a := c.args[0].(type) {
		case int64:
			want = a
		case *expr:
			if i, ok := a.intConst(); ok {
				want = i
			}
		}
	}
	v := make([]Vector, 2)
	for i := range c.nodes() {
		asid := int64(i + 1)
		if want >= 0 && asid != want {
			continue
		}
		v[0].Ints = append(v[0].Ints, asid)
		v[1].Strs = append(v[1].Strs, "heap profile: 12: 4194304 [96: 12582912] @ growthz\n"+
			"6: 2097152 [6: 2097152] @ 0x55d0c1 0x55a2f3 0x4f1e20\n"+
			"6: 2097152 [90: 10485760] @ 0x55d0c1 0x5612aa 0x4f1e20\n")
	}
	return v
}

// selectColumns is cols[idx[0]], cols[idx[1]], ...
func selectColumns(cols []Column, idx []int) []Column {
	out := make([]Column, len(idx))
	for k, i := range idx {
		out[k] = cols[i]
	}
	return out
}
