package pixie

import "time"

// Request is one query.
type Request struct {
	// Script is the PxL source (query_str).
	Script string
	// Func, when set, calls one function of Script with arguments through
	// exec_funcs instead of running the script's own px.display calls.
	Func *Func
	// ClusterID selects the cluster; empty means the configured default.
	ClusterID string
	// QueryName labels the query on the Vizier side (optional).
	QueryName string
	// Mutation marks a script that changes the cluster (tracepoints).
	Mutation bool
}

// Func is a function call through exec_funcs. Vizier parses each argument
// value by the parameter's type annotation.
type Func struct {
	Name         string
	Args         []Arg
	OutputPrefix string // table name (or prefix[0], prefix[1], ... for lists)
}

// Arg is one named argument value.
type Arg struct {
	Name, Value string
}

// Cluster describes a cluster the credentials can query.
type Cluster struct {
	ID                   string
	Name                 string
	PrettyName           string
	Status               string // CS_HEALTHY, CS_CONNECTED, ...
	StatusMessage        string
	Queryable            bool // healthy or connected
	VizierVersion        string
	NumNodes             int32
	NumInstrumentedNodes int32
	LastHeartbeat        time.Duration // age of the last heartbeat
}

// LibraryScript describes one script of Pixie Cloud's script library.
type LibraryScript struct {
	ID          string
	Name        string // e.g. px/service_let
	Description string
}
