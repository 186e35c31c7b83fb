// Package scripts is pxgate's catalog of named PxL scripts: scripts embedded
// in the binary, scripts from a user directory (PXGATE_SCRIPTS_DIR, e.g. a
// mounted ConfigMap; a user script overrides an embedded one of the same
// name) and, in cloud mode, Pixie's own script library.
//
// A script file is all a user writes: the catalog reads the functions a run
// may call, their typed parameters, defaults and descriptions from the PxL
// source itself (annotations, Python defaults, the script's own
// module-level call, and `@param: description` docstring lines), and for
// Pixie's library also from the live view's vis spec (its variables'
// defaults and the calls its widgets make). An optional sidecar
// `<name>.json` may set a title, the entry function and defaults. A
// script with several functions that neither displays nor names an entry
// is run by naming the function ([Script.Bind] with fn).
//
// Arguments arrive as strings and are validated by the parameter's type
// before anything is sent to Pixie ([Script.Bind]).
package scripts
