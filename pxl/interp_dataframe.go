package pxl

import (
	"math"
	"strings"
)

// DataFrame operations: each adds a plan node.

// dfMethods are the DataFrame methods; df.<method> is never a column.
var dfMethods = map[string]bool{
	"groupby": true, "agg": true, "merge": true, "drop": true, "head": true, "append": true,
}

// callMethod calls a DataFrame method, or agg on a groupby.
func (in *interp) callMethod(m *method, ci *callInfo) any {
	if g, ok := m.recv.(*groupBy); ok {
		return in.aggregate(g.node, g.keys, ci)
	}
	df := m.recv.(*dataFrame)
	switch m.name {
	case "groupby":
		a := in.bindArgs(ci, "groupby", []string{"by"}, 1)
		keys := in.stringList(a[0].v, a[0].pos, "groupby's columns")
		seen := map[string]bool{}
		for _, k := range keys {
			if df.node.rel.Index(k) < 0 {
				in.fail(a[0].pos, "column '%s' not found in the dataframe (columns: %s)", k, strings.Join(df.node.rel.Names(), ", "))
			}
			if seen[k] {
				in.fail(a[0].pos, "column '%s' grouped twice", k)
			}
			seen[k] = true
		}
		if len(keys) == 0 {
			in.fail(a[0].pos, "groupby needs at least one column")
		}
		return &groupBy{node: df.node, keys: keys}
	case "agg":
		return in.aggregate(df.node, nil, ci)
	case "merge":
		return in.merge(df, ci)
	case "drop":
		a := in.bindArgs(ci, "drop", []string{"columns"}, 1)
		return in.drop(df, in.stringList(a[0].v, a[0].pos, "drop's columns"), a[0].pos)
	case "head":
		a := in.bindArgs(ci, "head", []string{"n"}, 0)
		limit := int64(5)
		if a[0].set {
			v, ok := a[0].v.(int64)
			if !ok || v < 0 {
				in.fail(a[0].pos, "head needs a non-negative int, got %s", typeDesc(a[0].v))
			}
			limit = v
		}
		n := in.newNode(nLimit, df.node.rel, df.node)
		n.limit = int(min(limit, math.MaxInt32))
		return &dataFrame{node: n}
	case "append":
		return in.appendDF(df, ci)
	}
	in.fail(ci.pos, "DataFrame.%s is not supported", m.name)
	return nil
}

// boundCol is a bound reference to column i of rel.
func boundCol(i int, c ColumnInfo) *expr {
	return &expr{kind: eCol, typ: c.Type, sem: c.Semantic, name: c.Name, idx: i}
}

func (in *interp) bindExpr(e *expr, rel Relation, pos srcPos) *expr {
	b, err := bind(e, rel)
	return in.must(b, err, pos)
}

func (in *interp) setColumn(df *dataFrame, name string, v any, pos srcPos) {
	if dfMethods[name] || name == "ctx" {
		in.fail(pos, "'%s' is a DataFrame method; use df['%s'] = ... to name a column so", name, name)
	}
	old := df.node
	be := in.bindExpr(in.toExpr(v, pos), old.rel, pos)
	exprs := make([]*expr, 0, len(old.rel)+1)
	rel := make(Relation, 0, len(old.rel)+1)
	info := ColumnInfo{Name: name, Type: be.typ, Semantic: normSem(be.sem)}
	replaced := false
	for i, c := range old.rel {
		if c.Name == name {
			exprs, rel, replaced = append(exprs, be), append(rel, info), true
			continue
		}
		exprs, rel = append(exprs, boundCol(i, c)), append(rel, c)
	}
	if !replaced {
		exprs, rel = append(exprs, be), append(rel, info)
	}
	n := in.newNode(nMap, rel, old)
	n.exprs = exprs
	df.node = n
}

func (in *interp) filterDF(df *dataFrame, cond *expr, pos srcPos) *dataFrame {
	be := in.bindExpr(cond, df.node.rel, pos)
	if be.typ != Boolean {
		in.fail(pos, "a filter needs a BOOLEAN expression, got %s", typeName(be.typ))
	}
	n := in.newNode(nFilter, df.node.rel, df.node)
	n.cond = be
	return &dataFrame{node: n}
}

func (in *interp) project(df *dataFrame, names []string, pos srcPos) *dataFrame {
	rel := df.node.rel
	seen := map[string]bool{}
	n := in.newNode(nMap, nil, df.node)
	for _, name := range names {
		i := rel.Index(name)
		if i < 0 {
			in.fail(pos, "column '%s' not found in the dataframe (columns: %s)", name, strings.Join(rel.Names(), ", "))
		}
		if seen[name] {
			in.fail(pos, "column '%s' selected twice", name)
		}
		seen[name] = true
		n.rel = append(n.rel, rel[i])
		n.exprs = append(n.exprs, boundCol(i, rel[i]))
	}
	return &dataFrame{node: n}
}

func (in *interp) drop(df *dataFrame, names []string, pos srcPos) *dataFrame {
	rel := df.node.rel
	drop := map[string]bool{}
	for _, name := range names {
		if rel.Index(name) < 0 {
			in.fail(pos, "cannot drop column '%s': not in the dataframe (columns: %s)", name, strings.Join(rel.Names(), ", "))
		}
		drop[name] = true
	}
	var keep []string
	for _, c := range rel {
		if !drop[c.Name] {
			keep = append(keep, c.Name)
		}
	}
	return in.project(df, keep, pos)
}

func (in *interp) aggregate(input *node, keys []string, ci *callInfo) *dataFrame {
	if len(ci.args) > 0 {
		in.fail(ci.argPos[0], "agg takes keyword arguments only: name=('column', px.fn)")
	}
	rel := input.rel
	n := in.newNode(nAgg, nil, input)
	seen := map[string]bool{}
	for _, k := range keys {
		i := rel.Index(k)
		n.groups = append(n.groups, i)
		n.rel = append(n.rel, rel[i])
		seen[k] = true
	}
	if len(ci.kws) == 0 && len(keys) == 0 {
		in.fail(ci.pos, "agg needs at least one aggregate: name=('column', px.fn)")
	}
	for _, kw := range ci.kws {
		if seen[kw.name] {
			in.fail(kw.pos, "duplicate output column '%s' in agg", kw.name)
		}
		seen[kw.name] = true
		t, ok := kw.val.(*pyList)
		if !ok || len(t.elts) != 2 {
			in.fail(kw.pos, "an aggregate is a pair ('column', px.fn), got %s", typeDesc(kw.val))
		}
		col, ok := t.elts[0].(string)
		if !ok {
			in.fail(kw.pos, "an aggregate's first element is a column name, got %s", typeDesc(t.elts[0]))
		}
		ar, ok := t.elts[1].(*aggRef)
		if !ok {
			in.fail(kw.pos, "an aggregate's second element is an aggregate function such as px.count, got %s", typeDesc(t.elts[1]))
		}
		i := rel.Index(col)
		if i < 0 {
			in.fail(kw.pos, "column '%s' not found in the dataframe (columns: %s)", col, strings.Join(rel.Names(), ", "))
		}
		typ, sem, err := ar.fn.resolve(rel[i])
		if err != nil {
			in.fail(kw.pos, "%s", err.Error())
		}
		n.aggs = append(n.aggs, aggSpec{fn: ar.fn, col: i})
		n.rel = append(n.rel, ColumnInfo{Name: kw.name, Type: typ, Semantic: sem})
	}
	return &dataFrame{node: n}
}

func (in *interp) merge(left *dataFrame, ci *callInfo) *dataFrame {
	a := in.bindArgs(ci, "merge", []string{"right", "how", "left_on", "right_on", "suffixes"}, 1)
	right, ok := a[0].v.(*dataFrame)
	if !ok {
		in.fail(a[0].pos, "merge needs a DataFrame to merge with, got %s", typeDesc(a[0].v))
	}
	how := "inner"
	if a[1].set {
		s, ok := a[1].v.(string)
		if !ok || (s != "inner" && s != "left" && s != "right" && s != "outer") {
			in.fail(a[1].pos, "how must be 'inner', 'left', 'right' or 'outer'")
		}
		how = s
	}
	if !a[2].set || !a[3].set {
		in.fail(ci.pos, "merge needs left_on and right_on")
	}
	// No key columns (left_on=[], right_on=[]) is a cross join.
	lk := in.stringList(a[2].v, a[2].pos, "left_on")
	rk := in.stringList(a[3].v, a[3].pos, "right_on")
	if len(lk) != len(rk) {
		in.fail(a[2].pos, "left_on and right_on need the same number of columns")
	}
	suffixes := []string{"_x", "_y"}
	if a[4].set {
		suffixes = in.stringList(a[4].v, a[4].pos, "suffixes")
		if len(suffixes) != 2 {
			in.fail(a[4].pos, "suffixes needs two strings")
		}
	}
	lrel, rrel := left.node.rel, right.node.rel
	n := in.newNode(nJoin, nil, left.node, right.node)
	n.how = how
	for k := range lk {
		li, ri := lrel.Index(lk[k]), rrel.Index(rk[k])
		if li < 0 {
			in.fail(a[2].pos, "column '%s' not found in the left dataframe (columns: %s)", lk[k], strings.Join(lrel.Names(), ", "))
		}
		if ri < 0 {
			in.fail(a[3].pos, "column '%s' not found in the right dataframe (columns: %s)", rk[k], strings.Join(rrel.Names(), ", "))
		}
		if lrel[li].Type != rrel[ri].Type {
			in.fail(a[2].pos, "cannot join column '%s' (%s) with column '%s' (%s)", lk[k], typeName(lrel[li].Type), rk[k], typeName(rrel[ri].Type))
		}
		n.leftKeys, n.rightKeys = append(n.leftKeys, li), append(n.rightKeys, ri)
	}
	names := map[string]bool{}
	add := func(c ColumnInfo, right bool, i int, other Relation, suffix string) {
		if other.Index(c.Name) >= 0 {
			c.Name += suffix
		}
		if names[c.Name] {
			in.fail(ci.pos, "merge produces two columns named '%s': choose other suffixes", c.Name)
		}
		names[c.Name] = true
		n.rel = append(n.rel, c)
		n.joinCols = append(n.joinCols, joinCol{right: right, col: i})
	}
	for i, c := range lrel {
		add(c, false, i, rrel, suffixes[0])
	}
	for i, c := range rrel {
		add(c, true, i, lrel, suffixes[1])
	}
	return &dataFrame{node: n}
}

func (in *interp) appendDF(df *dataFrame, ci *callInfo) *dataFrame {
	a := in.bindArgs(ci, "append", []string{"objs"}, 1)
	var others []*dataFrame
	switch v := a[0].v.(type) {
	case *dataFrame:
		others = []*dataFrame{v}
	case *pyList:
		for _, x := range v.elts {
			d, ok := x.(*dataFrame)
			if !ok {
				in.fail(a[0].pos, "append takes DataFrames, got %s", typeDesc(x))
			}
			others = append(others, d)
		}
	default:
		in.fail(a[0].pos, "append takes a DataFrame or a list of DataFrames, got %s", typeDesc(a[0].v))
	}
	rel := df.node.rel
	n := in.newNode(nUnion, rel, df.node)
	ident := make([]int, len(rel))
	for i := range ident {
		ident[i] = i
	}
	n.unionMap = [][]int{ident}
	for _, o := range others {
		orel := o.node.rel
		if len(orel) != len(rel) {
			in.fail(a[0].pos, "append needs dataframes with the same columns: %s vs %s", strings.Join(rel.Names(), ", "), strings.Join(orel.Names(), ", "))
		}
		m := make([]int, len(rel))
		for j, c := range rel {
			k := orel.Index(c.Name)
			if k < 0 || orel[k].Type != c.Type {
				in.fail(a[0].pos, "append needs dataframes with the same columns and types: column '%s' differs", c.Name)
			}
			m[j] = k
		}
		n.inputs = append(n.inputs, o.node)
		n.unionMap = append(n.unionMap, m)
	}
	return &dataFrame{node: n}
}
