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
	// LiveViewID is the id of the script's live view (the cloud lists live
	// views apart from scripts); empty when the script has none.
	LiveViewID string
}

// LiveView is a library script's live view: its PxL source and what its
// vis specification says about calling the script's functions.
type LiveView struct {
	Source string
	// Variables are the values the view asks its user for.
	Variables []ViewVariable
	// Calls are the function calls of the view's widgets (and shared
	// calls), in the specification's order; one function may appear
	// several times.
	Calls []ViewCall
}

// ViewVariable is one variable of a live view.
type ViewVariable struct {
	Name string
	// Type is the PxL annotation the variable's type corresponds to (str,
	// int, float, bool, px.Service, px.Pod, px.Container, px.Namespace,
	// px.Node), list for lists, or "" when unknown.
	Type        string
	Default     *string // nil: no default
	Description string
	// ValidValues, when not empty, are the only values the view offers.
	ValidValues []string
}

// ViewCall is one call of a script function by a live view.
type ViewCall struct {
	Func string
	Args []ViewArg
}

// ViewArg binds one parameter of a ViewCall: to the view variable named
// Variable, or (when Variable is empty) to the literal Value.
type ViewArg struct {
	Name, Value, Variable string
}
