package scripts

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pxgate/pxgate/pixie"
)

// Origins of catalog entries.
const (
	OriginEmbedded = "embedded"
	OriginUser     = "user"
	OriginPixie    = "pixie" // Pixie Cloud's script library
)

// Param is one parameter of a script's function.
type Param struct {
	Name        string
	Type        string // str, int, float, bool, px.Service, px.Pod, px.Namespace, px.Node
	Default     *string
	Description string
	Required    bool
	// ValidValues, when not empty, are the only values the argument may
	// take: those Pixie's live view offers for it.
	ValidValues []string
}

// Function is one function of a script that a run can call by name (the
// request's func), with its typed parameters.
type Function struct {
	Name        string
	Description string
	Params      []Param
	// View says that Pixie's live view of the script calls the function.
	View bool
}

// Script is one catalog entry. A Script is immutable once in a catalog.
type Script struct {
	Name        string
	Title       string
	Description string
	Origin      string
	// Entry is the function a run without func calls (through exec_funcs).
	// Empty: the script runs as is when it displays, and otherwise a run
	// must name one of Functions (NeedsFunc).
	Entry string
	// Params are Entry's parameters (none when Entry is empty).
	Params []Param
	// Functions are every function a run may call with func, in source
	// order: top-level functions whose parameters all have supported type
	// annotations.
	Functions []Function
	// Tables are the output tables a run produces (`output` for an entry
	// function call).
	Tables []string
	// Error says why a broken script cannot run; it is listed, not run.
	Error string
	// Pending, on a listed library script only, says why its functions
	// and parameters are not known yet (Pixie's library did not answer for
	// it); fetching the script by name reads them.
	Pending string
	Source  string

	displays bool // the module itself calls px.display: it runs as is
}

// Runnable reports whether the script can be run.
func (s *Script) Runnable() bool { return s.Error == "" && s.Pending == "" }

// NeedsFunc reports whether a run must name the function to call: the
// script neither displays nor has a default function.
func (s *Script) NeedsFunc() bool { return s.Runnable() && s.Entry == "" && !s.displays }

// sidecar is the optional `<name>.json` next to a script file.
type sidecar struct {
	Title       string
	Description string
	Entry       string
	Defaults    map[string]string
}

// defaults are the sidecar's defaults for the entry function (nil for
// another function).
func (sc *sidecar) defaults(entry bool) map[string]string {
	if !entry {
		return nil
	}
	return sc.Defaults
}

func parseSidecar(b []byte) (*sidecar, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var sc sidecar
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	return &sc, nil
}

// newScript builds a catalog entry from PxL source, an optional sidecar
// and, for a library script, its live view (nil for none). A script that
// cannot be used comes back with Error set rather than as an error, so one
// broken file never hides the others.
func newScript(name, origin, src string, sc *sidecar, view *pixie.LiveView) *Script {
	s := &Script{Name: name, Origin: origin, Source: src, Params: []Param{}, Functions: []Function{}}
	if err := s.fill(sc, view); err != nil {
		s.Error = err.Error()
		s.Entry, s.Params, s.Functions, s.Tables = "", []Param{}, []Function{}, nil
	}
	return s
}

func (s *Script) fill(sc *sidecar, view *pixie.LiveView) error {
	if sc == nil {
		sc = &sidecar{}
	}
	sig, err := parseSignature(s.Source)
	if err != nil {
		return fmt.Errorf("PxL does not parse: %w", err)
	}
	s.displays = sig.displays
	s.Title, s.Description = sc.Title, sc.Description
	if s.Description == "" {
		s.Description = summary(sig.doc)
	}
	calls := viewCalls(view)
	entry, err := pickEntry(sig, sc.Entry, calls)
	if err != nil {
		return err
	}
	for _, f := range sig.funcs {
		fn, err := s.function(f, sig, sc.defaults(f == entry), calls)
		switch {
		case f == entry && err != nil:
			return err
		case err != nil || strings.HasPrefix(f.name, "_"):
			continue // a helper that cannot be called by name
		case f == entry:
			s.Entry, s.Params, s.Tables = fn.Name, fn.Params, []string{"output"}
		}
		s.Functions = append(s.Functions, fn)
	}
	if entry != nil {
		for name := range sc.Defaults {
			if !hasParam(entry.params, name) {
				return fmt.Errorf("sidecar sets a default for %s, which %s does not take", name, entry.name)
			}
		}
	}
	if s.Description == "" && entry != nil {
		s.Description = summary(entry.doc)
	}
	if s.Title == "" {
		s.Title, _, _ = strings.Cut(s.Description, ". ")
	}
	if s.Entry == "" && !sig.displays && len(s.Functions) == 0 {
		if len(sig.funcs) > 0 {
			return fmt.Errorf("none of the functions (%s) can be called: a name starting with _ is a helper, and the others need type annotations Pixie supports (%s) on every parameter",
				funcNames(sig.funcs), strings.Join(paramTypes, ", "))
		}
		// No function to call: the script runs as is and must display.
		return errors.New("the script neither defines a function to call nor calls px.display: Pixie would refuse it")
	}
	return nil
}

// function describes f as a callable Function: its parameters' types are
// checked, and each gets its default from (first wins) the sidecar (for
// the entry), the Python default, the script's own module-level call, or
// the live view.
func (s *Script) function(f *funcSig, sig *signature, sidecarDefaults map[string]string, calls map[string]viewCall) (Function, error) {
	if len(f.unannotated) > 0 {
		return Function{}, fmt.Errorf("function %s: parameter %s has no type annotation (Pixie requires one to pass arguments)",
			f.name, strings.Join(f.unannotated, ", "))
	}
	fn := Function{Name: f.name, Description: summary(f.doc), Params: []Param{}}
	call, inView := calls[f.name]
	fn.View = inView
	usual := sig.callArgs[f.name]
	for _, p := range f.params {
		if !knownType(p.Type) {
			return Function{}, fmt.Errorf("function %s: parameter %s has type %s; supported: %s", f.name, p.Name, p.Type, strings.Join(paramTypes, ", "))
		}
		if v, ok := sidecarDefaults[p.Name]; ok {
			p.Default, p.Required = &v, false
		} else if p.Default == nil {
			if v, ok := usual[p.Name]; ok {
				p.Default, p.Required = &v, false
			}
		}
		if p.Default != nil {
			if err := checkValue(p, *p.Default); err != nil {
				return Function{}, fmt.Errorf("default of %s: %w", p.Name, err)
			}
		} else if v, ok := call.defaults[p.Name]; ok && checkValue(p, v) == nil {
			// A view default that does not fit the annotation is dropped:
			// the argument is then required, never guessed.
			p.Default, p.Required = &v, false
		}
		if p.Description == "" {
			p.Description = call.descriptions[p.Name]
		}
		if valid := call.valid[p.Name]; len(valid) > 0 && (p.Default == nil || slices.Contains(valid, *p.Default)) {
			// (A default the view does not offer would make the view's
			// own list wrong for this script: then it binds nothing.)
			p.ValidValues = valid
		}
		fn.Params = append(fn.Params, p)
	}
	return fn, nil
}

// pickEntry chooses the function a run without func calls: the sidecar's,
// else the one function the module calls itself (the seed's style), else
// none for a script that displays (it runs as is), else the only
// function, else the only function the live view calls. nil: a run must
// name the function (or the script runs as is).
func pickEntry(sig *signature, want string, calls map[string]viewCall) (*funcSig, error) {
	if want != "" {
		for _, f := range sig.funcs {
			if f.name == want {
				return f, nil
			}
		}
		return nil, fmt.Errorf("sidecar names entry function %s, which the script does not define", want)
	}
	if sig.firstCall != "" {
		for _, f := range sig.funcs {
			if f.name == sig.firstCall {
				return f, nil
			}
		}
	}
	if sig.displays {
		return nil, nil // a plain script: run as is
	}
	if len(sig.funcs) == 1 {
		return sig.funcs[0], nil
	}
	if len(calls) == 1 {
		for _, f := range sig.funcs {
			if _, ok := calls[f.name]; ok {
				return f, nil
			}
		}
	}
	return nil, nil
}

func funcNames(fs []*funcSig) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func hasParam(ps []Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}
