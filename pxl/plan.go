package pxl

import (
	"context"
	"fmt"
)

// nodeKind is the kind of a plan operator.
type nodeKind uint8

const (
	nSource nodeKind = iota // read a table
	nMap                    // compute columns (assign, project, drop)
	nFilter                 // keep rows where a condition holds
	nAgg                    // group and aggregate
	nJoin                   // merge two frames
	nLimit                  // first rows
	nUnion                  // append frames
)

// node is one operator of the plan the script builds. Nodes only refer to
// earlier nodes, so creation order is a topological order.
type node struct {
	id     int
	kind   nodeKind
	inputs []*node
	rel    Relation

	// nSource
	table      string
	start, end int64
	udtf       *udtf // a table function's output instead of a scan
	udtfArgs   []any

	// nMap: one bound expression per output column.
	exprs []*expr

	// nFilter: a bound BOOLEAN expression.
	cond *expr

	// nAgg
	groups []int // input column indexes
	aggs   []aggSpec

	// nJoin
	how                 string
	leftKeys, rightKeys []int
	joinCols            []joinCol

	// nLimit
	limit int

	// nUnion: unionMap[i][j] is the column of input i for output column j.
	unionMap [][]int

	// Execution state.
	used bool
	need []bool
	out  *frame
}

type aggSpec struct {
	fn  *aggFunc
	col int // input column
}

type joinCol struct {
	right bool
	col   int
}

// frame is an operator's output: n rows, one vector per relation column;
// columns no consumer needs are nil.
type frame struct {
	n    int
	cols []*Vector
}

// executor runs a plan.
type executor struct {
	ctx     context.Context
	src     Source
	ec      *evalCtx
	scanned int64 // rows read from the source
	bytes   int64
	cells   int64 // values materialized
}

// prune marks, from the sinks back, which nodes run and which of their
// columns are needed, so that sources read only the columns used.
func prune(nodes []*node, sinks []*node) {
	for _, n := range nodes {
		n.used, n.need = false, make([]bool, len(n.rel))
	}
	for _, s := range sinks {
		s.used = true
		for i := range s.need {
			s.need[i] = true
		}
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if !n.used {
			continue
		}
		for _, in := range n.inputs {
			in.used = true
		}
		switch n.kind {
		case nMap:
			for j, e := range n.exprs {
				if n.need[j] {
					markExpr(n.inputs[0], e)
				}
			}
		case nFilter:
			orNeed(n.inputs[0].need, n.need)
			markExpr(n.inputs[0], n.cond)
		case nLimit:
			orNeed(n.inputs[0].need, n.need)
		case nAgg:
			in := n.inputs[0]
			for _, g := range n.groups {
				in.need[g] = true
			}
			for j, a := range n.aggs {
				if n.need[len(n.groups)+j] {
					in.need[a.col] = true
				}
			}
		case nJoin:
			l, r := n.inputs[0], n.inputs[1]
			for _, k := range n.leftKeys {
				l.need[k] = true
			}
			for _, k := range n.rightKeys {
				r.need[k] = true
			}
			for j, c := range n.joinCols {
				if n.need[j] {
					if c.right {
						r.need[c.col] = true
					} else {
						l.need[c.col] = true
					}
				}
			}
		case nUnion:
			for i, in := range n.inputs {
				for j, c := range n.unionMap[i] {
					if n.need[j] {
						in.need[c] = true
					}
				}
			}
		}
	}
}

func orNeed(dst, src []bool) {
	for i, b := range src {
		if b {
			dst[i] = true
		}
	}
}

func markExpr(in *node, e *expr) {
	switch e.kind {
	case eCol:
		in.need[e.idx] = true
	case eCall:
		for _, a := range e.args {
			markExpr(in, a)
		}
	}
}

// run computes n's output (once).
func (x *executor) run(n *node) (*frame, error) {
	if n.out != nil {
		return n.out, nil
	}
	if err := x.ctx.Err(); err != nil {
		return nil, err
	}
	ins := make([]*frame, len(n.inputs))
	for i, in := range n.inputs {
		f, err := x.run(in)
		if err != nil {
			return nil, err
		}
		ins[i] = f
	}
	var out *frame
	var err error
	switch n.kind {
	case nSource:
		out, err = x.scan(n)
	case nMap:
		out = x.mapFrame(n, ins[0])
	case nFilter:
		out = x.filter(n, ins[0])
	case nLimit:
		out = limitFrame(n, ins[0])
	case nAgg:
		out = x.agg(n, ins[0])
	case nJoin:
		out, err = joinFrames(n, ins[0], ins[1])
	case nUnion:
		total := 0
		for _, f := range ins {
			total += f.n
		}
		if total > maxJoinRows {
			return nil, fmt.Errorf("append: the result would have more than %d rows", maxJoinRows)
		}
		out = unionFrames(n, ins)
	}
	if err != nil {
		return nil, err
	}
	if err := x.charge(n, out, ins); err != nil {
		return nil, err
	}
	n.out = out
	return out, nil
}

// maxCells bounds the column values one query materializes (rows times
// columns over all operators), so that no script can exhaust memory.
const maxCells = 200_000_000

// charge counts the columns out allocated (those not shared with an
// input).
func (x *executor) charge(n *node, out *frame, ins []*frame) error {
	shared := map[*Vector]bool{}
	for _, f := range ins {
		for _, v := range f.cols {
			if v != nil {
				shared[v] = true
			}
		}
	}
	for _, v := range out.cols {
		if v != nil && !shared[v] {
			x.cells += int64(out.n)
		}
	}
	if x.cells > maxCells {
		return fmt.Errorf("pxl: the query materializes more than %d values; narrow it (time range, filters, columns)", maxCells)
	}
	return nil
}

func (x *executor) scan(n *node) (*frame, error) {
	var names []string
	var idx []int
	for i, c := range n.rel {
		if n.need[i] {
			names = append(names, c.Name)
			idx = append(idx, i)
		}
	}
	if len(names) == 0 && len(n.rel) > 0 {
		// Nothing needed but the row count: read one column.
		i := max(n.rel.Index("time_"), 0)
		names, idx = []string{n.rel[i].Name}, []int{i}
	}
	var t *Table
	var err error
	if n.udtf != nil {
		t = x.udtfTable(n)
		t.Columns = selectColumns(t.Columns, idx)
	} else {
		t, err = x.src.Scan(x.ctx, ScanRequest{Table: n.table, Columns: names, Start: n.start, End: n.end})
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", n.table, err)
	}
	if len(t.Columns) != len(names) {
		return nil, fmt.Errorf("scan %s: %d columns returned, %d requested", n.table, len(t.Columns), len(names))
	}
	f := &frame{cols: make([]*Vector, len(n.rel))}
	if len(names) > 0 {
		f.n = t.Columns[0].Len()
	}
	for k, i := range idx {
		c := &t.Columns[k]
		if c.Type != n.rel[i].Type || c.Len() != f.n {
			return nil, fmt.Errorf("scan %s: column %q has type %v and %d rows, want %v and %d",
				n.table, c.Name, c.Type, c.Len(), n.rel[i].Type, f.n)
		}
		f.cols[i] = &c.Vector
		x.bytes += vectorBytes(&c.Vector)
	}
	x.scanned += int64(f.n)
	return f, nil
}

func vectorBytes(v *Vector) int64 {
	switch v.Type {
	case Boolean:
		return int64(len(v.Bools))
	case UInt128:
		return 16 * int64(len(v.U128s))
	case String:
		var n int64
		for _, s := range v.Strs {
			n += int64(len(s))
		}
		return n
	}
	return 8 * int64(v.Len())
}

func (x *executor) mapFrame(n *node, in *frame) *frame {
	out := &frame{n: in.n, cols: make([]*Vector, len(n.rel))}
	for j, e := range n.exprs {
		if !n.need[j] {
			continue
		}
		if e.kind == eCol {
			out.cols[j] = in.cols[e.idx]
			continue
		}
		v := e.eval(x.ec, in).materialize(in.n)
		out.cols[j] = &v
	}
	return out
}

func (x *executor) filter(n *node, in *frame) *frame {
	c := n.cond.eval(x.ec, in)
	if c.scalar {
		if c.Bools[0] {
			return in
		}
		return gatherFrame(in, n.need, []int32{})
	}
	idx := make([]int32, 0, in.n/2)
	for i, b := range c.Bools {
		if b {
			idx = append(idx, int32(i))
		}
	}
	if len(idx) == in.n {
		return in
	}
	return gatherFrame(in, n.need, idx)
}

func gatherFrame(in *frame, need []bool, idx []int32) *frame {
	out := &frame{n: len(idx), cols: make([]*Vector, len(in.cols))}
	for j, v := range in.cols {
		if v != nil && need[j] {
			g := v.gather(idx)
			out.cols[j] = &g
		}
	}
	return out
}

func limitFrame(n *node, in *frame) *frame {
	if in.n <= n.limit {
		return in
	}
	out := &frame{n: n.limit, cols: make([]*Vector, len(in.cols))}
	for j, v := range in.cols {
		if v != nil {
			s := v.slice(0, n.limit)
			out.cols[j] = &s
		}
	}
	return out
}

func (x *executor) agg(n *node, in *frame) *frame {
	keys := make([]*Vector, len(n.groups))
	for i, g := range n.groups {
		keys[i] = in.cols[g]
	}
	gids, first := groupIDs(keys, in.n)
	ng := len(first)
	out := &frame{n: ng, cols: make([]*Vector, len(n.rel))}
	for i, k := range keys {
		v := k.gather(first)
		out.cols[i] = &v
	}
	for j, a := range n.aggs {
		if !n.need[len(n.groups)+j] {
			continue
		}
		v := a.fn.run(in.cols[a.col], gids, first, ng)
		out.cols[len(n.groups)+j] = &v
	}
	return out
}

// maxJoinRows bounds the result of one merge or append.
const maxJoinRows = 10_000_000

// execError is a failure while executing (not compiling) a plan, raised
// by panic from deep in an operator and returned by Program.Run.
type execError struct{ msg string }

func (e *execError) Error() string { return "pxl: " + e.msg }

// joinFrames merges two frames on key columns (a hash join). Output rows
// follow the left frame's order (matches in the right frame's order);
// unmatched right rows of right and outer joins come last. Missing sides
// are zero values (0, "", false).
func joinFrames(n *node, l, r *frame) (*frame, error) {
	lc, rc, ncodes := joinCodes(n, l, r)
	// Right rows grouped by key code, keeping their order.
	off := make([]int32, ncodes+1)
	for _, c := range rc {
		off[c+1]++
	}
	for i := 1; i <= ncodes; i++ {
		off[i] += off[i-1]
	}
	rows := make([]int32, len(rc))
	pos := make([]int32, ncodes)
	copy(pos, off[:ncodes])
	for j, c := range rc {
		rows[pos[c]] = int32(j)
		pos[c]++
	}
	keepLeft := n.how == "left" || n.how == "outer"
	keepRight := n.how == "right" || n.how == "outer"
	total := 0
	for _, c := range lc {
		total += max(int(off[c+1]-off[c]), 1)
		if total > maxJoinRows {
			return nil, fmt.Errorf("merge: the result would have more than %d rows", maxJoinRows)
		}
	}
	var li, ri []int32
	var matched []bool
	if keepRight {
		matched = make([]bool, r.n)
	}
	for i, c := range lc {
		m := rows[off[c]:off[c+1]]
		if len(m) == 0 {
			if keepLeft {
				li, ri = append(li, int32(i)), append(ri, -1)
			}
			continue
		}
		for _, j := range m {
			li, ri = append(li, int32(i)), append(ri, j)
			if matched != nil {
				matched[j] = true
			}
		}
	}
	for j, ok := range matched {
		if !ok {
			li, ri = append(li, -1), append(ri, int32(j))
		}
	}
	out := &frame{n: len(li), cols: make([]*Vector, len(n.rel))}
	for k, jc := range n.joinCols {
		if !n.need[k] {
			continue
		}
		var v Vector
		if jc.right {
			v = r.cols[jc.col].gather(ri)
		} else {
			v = l.cols[jc.col].gather(li)
		}
		out.cols[k] = &v
	}
	return out, nil
}

// joinCodes gives every left and right row a code for its key values, the
// same code for equal keys on both sides.
func joinCodes(n *node, l, r *frame) (lc, rc []int32, ncodes int) {
	lc, rc = make([]int32, l.n), make([]int32, r.n)
	for k := range n.leftKeys {
		lv, rv := l.cols[n.leftKeys[k]], r.cols[n.rightKeys[k]]
		both := appendVectors(lv.Type, []*Vector{lv, rv})
		codes, _ := denseCodes(&both, l.n+r.n)
		if k == 0 {
			copy(lc, codes[:l.n])
			copy(rc, codes[l.n:])
			continue
		}
		m := make(map[uint64]int32)
		combine := func(dst []int32, src []int32) {
			for i := range dst {
				key := uint64(dst[i])<<32 | uint64(uint32(src[i]))
				id, ok := m[key]
				if !ok {
					id = int32(len(m))
					m[key] = id
				}
				dst[i] = id
			}
		}
		combine(lc, codes[:l.n])
		combine(rc, codes[l.n:])
	}
	for _, c := range lc {
		ncodes = max(ncodes, int(c)+1)
	}
	for _, c := range rc {
		ncodes = max(ncodes, int(c)+1)
	}
	return lc, rc, ncodes
}

func unionFrames(n *node, ins []*frame) *frame {
	out := &frame{cols: make([]*Vector, len(n.rel))}
	for _, f := range ins {
		out.n += f.n
	}
	for j, c := range n.rel {
		if !n.need[j] {
			continue
		}
		vs := make([]*Vector, len(ins))
		for i, f := range ins {
			vs[i] = f.cols[n.unionMap[i][j]]
		}
		v := appendVectors(c.Type, vs)
		out.cols[j] = &v
	}
	return out
}
