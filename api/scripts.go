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
	// Entry is the function a run calls (Vizier exec_funcs); empty when the
	// script runs as it is.
	Entry string `json:"entry,omitempty"`
	// Params are the entry function's parameters. A library script's are
	// known once it has been fetched (GET /v1/scripts/{name}).
	Params []ScriptParam `json:"params"`
	// Tables are the output tables a run produces, when known.
	Tables []string `json:"tables,omitempty"`
	// Error says why a broken script cannot run.
	Error string `json:"error,omitempty"`
	// Source is the PxL source (GET /v1/scripts/{name} only).
	Source string `json:"source,omitempty"`
}

// ScriptParam is one parameter of a named script.
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
}

// ScriptList is the body of GET /v1/scripts.
type ScriptList struct {
	Scripts []Script `json:"scripts"`
	// LibraryError is set when Pixie Cloud's script library could not be
	// listed; the local scripts are listed regardless.
	LibraryError string `json:"library_error,omitempty"`
}
