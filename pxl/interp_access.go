package pxl

import "strings"

// Attributes and items: df.col, df[...], df.ctx[...], lists and dicts.

func (in *interp) getattr(obj any, name string, pos srcPos) any {
	switch o := obj.(type) {
	case *pxModule:
		if v, ok := in.pxAttrs[name]; ok {
			return v
		}
		return in.pxAttr(name, pos)
	case *libModule:
		return in.libAttr(o, name, pos)
	case *traceModule:
		return in.traceAttr(name, pos)
	case *dataFrame:
		if dfMethods[name] {
			return &method{recv: o, name: name}
		}
		if name == "ctx" {
			return &ctxObj{df: o}
		}
		i := o.node.rel.Index(name)
		if i < 0 {
			in.fail(pos, "column '%s' not found in the dataframe (columns: %s)", name, strings.Join(o.node.rel.Names(), ", "))
		}
		return colExpr(pos, o.node.rel[i])
	case *groupBy:
		if name == "agg" {
			return &method{recv: o, name: name}
		}
	}
	in.fail(pos, "%s has no attribute '%s'", typeDesc(obj), name)
	return nil
}

func (in *interp) getitem(obj, key any, pos, keyPos srcPos) any {
	switch o := obj.(type) {
	case *dataFrame:
		switch k := key.(type) {
		case string:
			i := o.node.rel.Index(k)
			if i < 0 {
				in.fail(keyPos, "column '%s' not found in the dataframe (columns: %s)", k, strings.Join(o.node.rel.Names(), ", "))
			}
			return colExpr(pos, o.node.rel[i])
		case *pyList:
			names := in.stringList(k, keyPos, "a column list")
			return in.project(o, names, keyPos)
		case *expr:
			return in.filterDF(o, k, keyPos)
		case bool:
			// df[True or cond] short-circuits to df[True], as Python does;
			// Pixie keeps every row for it.
			return in.filterDF(o, boolLit(keyPos, k), keyPos)
		}
		in.fail(keyPos, "a DataFrame is indexed by a column name, a list of column names or a BOOLEAN expression, not %s", typeDesc(key))
	case *ctxObj:
		k, ok := key.(string)
		if !ok {
			in.fail(keyPos, "ctx keys are strings, not %s", typeDesc(key))
		}
		return in.ctxLookup(o.df, k, pos, keyPos)
	case *pyList:
		i, ok := pyInt(key)
		if !ok {
			in.fail(keyPos, "list indices must be integers, not %s", typeDesc(key))
		}
		if i < 0 {
			i += int64(len(o.elts))
		}
		if i < 0 || i >= int64(len(o.elts)) {
			in.fail(keyPos, "index out of range")
		}
		return o.elts[i]
	case *pyDict:
		k, ok := key.(string)
		if !ok {
			in.fail(keyPos, "dict keys are strings, not %s", typeDesc(key))
		}
		v, ok := o.vals[k]
		if !ok {
			in.fail(keyPos, "key '%s' not found", k)
		}
		return v
	}
	in.fail(pos, "%s is not subscriptable", typeDesc(obj))
	return nil
}

// ctxUPID maps ctx keys to the px functions deriving them from a UPID;
// ctxPodID from a pod id.
var (
	ctxUPID = map[string]string{
		"service": "upid_to_service_name", "service_name": "upid_to_service_name",
		"pod": "upid_to_pod_name", "pod_name": "upid_to_pod_name", "pod_id": "upid_to_pod_id",
		"namespace": "upid_to_namespace", "node": "upid_to_node_name", "node_name": "upid_to_node_name",
		"container": "upid_to_container_name", "container_name": "upid_to_container_name",
		"container_id": "upid_to_container_id", "pid": "upid_to_pid", "cmdline": "upid_to_cmdline",
		"cmd": "upid_to_cmdline", "hostname": "upid_to_hostname", "asid": "upid_to_asid",
	}
	ctxPodID = map[string]string{
		"service": "pod_id_to_service_name", "service_name": "pod_id_to_service_name",
		"pod": "pod_id_to_pod_name", "pod_name": "pod_id_to_pod_name",
		"namespace": "pod_id_to_namespace", "node": "pod_id_to_node_name", "node_name": "pod_id_to_node_name",
	}
)

func (in *interp) ctxLookup(df *dataFrame, key string, pos, keyPos srcPos) *expr {
	rel := df.node.rel
	var fn string
	var col int
	if i := rel.Index("upid"); i >= 0 && rel[i].Type == UInt128 {
		fn, col = ctxUPID[key], i
	} else if i := rel.Index("pod_id"); i >= 0 && rel[i].Type == String {
		fn, col = ctxPodID[key], i
	} else {
		in.fail(pos, "ctx['%s'] needs a 'upid' (or 'pod_id') column to derive metadata from", key)
	}
	if fn == "" {
		in.fail(keyPos, "ctx key '%s' is not supported for this dataframe", key)
	}
	e, err := newCall(in.ec, pos, pxScalars[fn], []*expr{colExpr(pos, rel[col])})
	return in.must(e, err, pos)
}
