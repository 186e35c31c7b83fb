package pxl

import (
	"encoding/json"
	"strings"
)

// metadataFuncs are the px.* functions reading the Kubernetes metadata:
// from a UPID, from a pod id or name, from an IP, and the ctx['service']
// tests.
var metadataFuncs = []*scalarFunc{
	fromUPID("upid_to_pod_name", STPodName, podOfUPID((*Pod).QualifiedName)),
	fromUPID("upid_to_pod_id", STNone, podOfUPID(podID)),
	fromUPID("upid_to_service_name", STServiceName, podOfUPID((*Pod).ServiceName)),
	fromUPID("upid_to_namespace", STNamespaceName, podOfUPID(podNamespace)),
	fromUPID("upid_to_node_name", STNodeName, podOfUPID(podNode)),
	fromUPID("upid_to_hostname", STNone, podOfUPID(func(p *Pod) string { return p.Name })),
	fromUPID("upid_to_container_name", STContainerName, procOfUPID(func(p *Process) string { return p.ContainerName })),
	fromUPID("upid_to_container_id", STNone, procOfUPID(func(p *Process) string { return p.ContainerID })),
	fromUPID("upid_to_cmdline", STNone, procOfUPID(func(p *Process) string { return p.Cmdline })),
	fromUPID("upid_to_string", STNone, func(_ *Metadata, u U128) string { return u.String() }),
	typed("upid_to_pid", sig(UInt128), Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		return intsVal(unaryOp(v[0].U128s, v[0].scalar, n, U128.PID))
	}),
	typed("upid_to_asid", sig(UInt128), Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		return intsVal(unaryOp(v[0].U128s, v[0].scalar, n, func(u U128) int64 { return int64(u.High >> 32) }))
	}),

	fromString("pod_id_to_pod_name", STPodName, podByID((*Pod).QualifiedName)),
	fromString("pod_id_to_service_name", STServiceName, podByID((*Pod).ServiceName)),
	fromString("pod_id_to_namespace", STNamespaceName, podByID(podNamespace)),
	fromString("pod_id_to_node_name", STNodeName, podByID(podNode)),
	fromString("pod_id_to_pod_ip", STIPAddress, podByID(podIP)),

	fromString("pod_name_to_pod_id", STNone, podByName(podID)),
	fromString("pod_name_to_namespace", STNamespaceName, podByName(podNamespace)),
	fromString("pod_name_to_service_name", STServiceName, podByName((*Pod).ServiceName)),
	fromString("pod_name_to_node_name", STNodeName, podByName(podNode)),
	fromString("pod_name_to_pod_ip", STIPAddress, podByName(podIP)),
	// Every pod the demo knows runs, and so do its containers.
	fromString("pod_name_to_status", STNone, podByName(func(*Pod) string {
		return `{"phase":"Running","message":"","reason":"","ready":true}`
	})),
	typed("pod_name_to_start_time", sig(String), Time64, STNone, func(c *evalCtx, v []value, n int) value {
		return timeVal(unaryOp(v[0].Strs, v[0].scalar, n, func(s string) int64 {
			if p := c.meta.PodByName(s); p != nil {
				return p.StartTime
			}
			return 0
		}))
	}),
	fromString("container_id_to_status", STNone, func(_ *Metadata, id string) string {
		if id == "" {
			return ""
		}
		return `{"state":"Running","message":"","reason":""}`
	}),

	fromString("ip_to_pod_id", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil {
			return p.ID
		}
		return ""
	}),
	fromString("ip_to_service_id", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil && len(p.Services) > 0 {
			return ServiceID(p.Namespace + "/" + p.Services[0])
		}
		return ""
	}),
	fromString("service_id_to_service_name", STServiceName, (*Metadata).ServiceName),
	// Pod IPs get the cluster's pod DNS name; other IPs stay as they are.
	fromString("nslookup", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil {
			return strings.ReplaceAll(ip, ".", "-") + "." + p.Namespace + ".pod.cluster.local"
		}
		return ip
	}),

	strPred("has_service_name", hasServiceName),
	strPred("has_value", hasServiceName),
}

// fromUPID is px.name(upid): the STRING f gives for a UPID, with semantic
// type sem.
func fromUPID(name string, sem SemanticType, f func(m *Metadata, u U128) string) *scalarFunc {
	return typed(name, sig(UInt128), String, sem, func(c *evalCtx, v []value, n int) value {
		return strsVal(unaryOp(v[0].U128s, v[0].scalar, n, cachedLookup(c.meta, f)))
	})
}

// fromString is px.name(s): the STRING f gives for a STRING (a pod id or
// name, an IP, a service id), with semantic type sem.
func fromString(name string, sem SemanticType, f func(m *Metadata, s string) string) *scalarFunc {
	return typed(name, sig(String), String, sem, func(c *evalCtx, v []value, n int) value {
		return strsVal(unaryOp(v[0].Strs, v[0].scalar, n, cachedLookup(c.meta, f)))
	})
}

// cachedLookup is f over m, computed once per distinct key: a column
// repeats few keys many times.
func cachedLookup[K comparable](m *Metadata, f func(m *Metadata, k K) string) func(K) string {
	cache := make(map[K]string)
	return func(k K) string {
		s, ok := cache[k]
		if !ok {
			s = f(m, k)
			cache[k] = s
		}
		return s
	}
}

// podOfUPID, procOfUPID, podByID and podByName look up a pod (or a
// process) and give get of it, or "" when there is none.
func podOfUPID(get func(*Pod) string) func(*Metadata, U128) string {
	return lookupField((*Metadata).podOfUPID, get)
}

func procOfUPID(get func(*Process) string) func(*Metadata, U128) string {
	return lookupField((*Metadata).Process, get)
}

func podByID(get func(*Pod) string) func(*Metadata, string) string {
	return lookupField((*Metadata).Pod, get)
}

func podByName(get func(*Pod) string) func(*Metadata, string) string {
	return lookupField((*Metadata).PodByName, get)
}

func lookupField[K, T any](lookup func(*Metadata, K) *T, get func(*T) string) func(*Metadata, K) string {
	return func(m *Metadata, k K) string {
		if x := lookup(m, k); x != nil {
			return get(x)
		}
		return ""
	}
}

// Pod fields, for the lookups above.
func podID(p *Pod) string        { return p.ID }
func podNamespace(p *Pod) string { return p.Namespace }
func podNode(p *Pod) string      { return p.Node }
func podIP(p *Pod) string        { return p.IP }

// hasServiceName reports whether a ctx['service'] value (one
// "namespace/name" or a JSON list of them) contains name.
func hasServiceName(val, name string) bool {
	if val == name {
		return true
	}
	if !strings.HasPrefix(val, "[") || !strings.Contains(val, name) {
		return false
	}
	var names []string
	if json.Unmarshal([]byte(val), &names) != nil {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
