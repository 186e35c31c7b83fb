package api

// Script is one entry of the named-script catalog (GET /v1/scripts).
type Script struct {
	// Name is how requests refer to the script (script_name, or the path
	// of /v1/scripts/{name}/run); Pixie's library scripts keep their own
	// names, such as px/service_let.
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Origin is embedded (shipped with pxgate), user (PXGATE_SCRIPTS_DIR)
	// or pixie (Pixie Cloud's library).
	Origin string `json:"origin"`
	// Entry is the function a run without func calls (Vizier exec_funcs);
	// empty when the script runs as it is or when a run must name one of
	// Functions (NeedsFunc).
	Entry string `json:"entry,omitempty"`
	// Params are the entry function's parameters (empty without an entry).
	Params []ScriptParam `json:"params"`
	// Functions are the functions a run may call with func, with their
	// parameters; the entry is one of them.
	Functions []ScriptFunction `json:"functions"`
	// NeedsFunc says that a run must name one of Functions with func: the
	// script neither displays nor calls a function by default (the shape
	// of Pixie's live views).
	NeedsFunc bool `json:"needs_func,omitempty"`
	// Pending, on a library script, says why its entry, parameters and
	// functions are not known yet (Pixie's library did not answer for it);
	// they are fetched again by the next listing or run.
	Pending string `json:"pending,omitempty"`
	// Tables are the output tables a run produces, when known.
	Tables []string `json:"tables,omitempty"`
	// Error says why a broken script cannot run.
	Error string `json:"error,omitempty"`
	// Source is the PxL source (GET /v1/scripts/{name} only).
	Source string `json:"source,omitempty"`
}

// ScriptFunction is one function of a named script that a run can call
// (func).
type ScriptFunction struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Params      []ScriptParam `json:"params"`
	// View says that Pixie's live view of the script calls the function
	// (library scripts only).
	View bool `json:"view,omitempty"`
}

// ScriptParam is one parameter of a named script's function.
type ScriptParam struct {
	Name string `json:"name"`
	// Type is the PxL annotation: str, int, float, bool, px.Service,
	// px.Pod, px.Namespace or px.Node. Services and pods are written
	// namespace/name; str parameters named *_time take relative times
	// such as -2m.
	Type        string  `json:"type"`
	Default     *string `json:"default,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required"`
	// ValidValues, when set, are the only values the argument may take
	// (those Pixie's live view of the script offers); another is a 400.
	ValidValues []string `json:"valid_values,omitempty"`
}

// ScriptList is the body of GET /v1/scripts.
type ScriptList struct {
	Scripts []Script `json:"scripts"`
	// LibraryError is set when Pixie Cloud's script library could not be
	// listed; the local scripts are listed regardless.
	LibraryError string `json:"library_error,omitempty"`
}
