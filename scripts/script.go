package scripts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Origins of catalog entries.
const (
	OriginEmbedded = "embedded"
	OriginUser     = "user"
	OriginPixie    = "pixie" // Pixie Cloud's script library
)

// Param is one parameter of a script's entry function.
type Param struct {
	Name        string
	Type        string // str, int, float, bool, px.Service, px.Pod, px.Namespace, px.Node
	Default     *string
	Description string
	Required    bool
}

// Script is one catalog entry. A Script is immutable once in a catalog.
type Script struct {
	Name        string
	Title       string
	Description string
	Origin      string
	Entry       string // function called through exec_funcs; empty: run as is
	Params      []Param
	// Tables are the output tables a run produces (`output` for an entry
	// function call).
	Tables []string
	// Error says why a broken script cannot run; it is listed, not run.
	Error  string
	Source string
}

// Runnable reports whether the script can be run.
func (s *Script) Runnable() bool { return s.Error == "" }

// sidecar is the optional `<name>.json` next to a script file.
type sidecar struct {
	Title       string
	Description string
	Entry       string
	Defaults    map[string]string
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

// newScript builds a catalog entry from PxL source (and an optional
// sidecar). A script that cannot be used comes back with Error set rather
// than as an error, so one broken file never hides the others.
func newScript(name, origin, src string, sc *sidecar) *Script {
	s := &Script{Name: name, Origin: origin, Source: src, Params: []Param{}}
	if err := s.fill(sc); err != nil {
		s.Error = err.Error()
		s.Params = []Param{}
	}
	return s
}

func (s *Script) fill(sc *sidecar) error {
	if sc == nil {
		sc = &sidecar{}
	}
	sig, err := parseSignature(s.Source)
	if err != nil {
		return fmt.Errorf("PxL does not parse: %w", err)
	}
	s.Title, s.Description = sc.Title, sc.Description
	if s.Description == "" {
		s.Description = summary(sig.doc)
	}
	if s.Title == "" {
		s.Title, _, _ = strings.Cut(s.Description, ". ")
	}
	entry, err := pickEntry(sig, sc.Entry)
	if err != nil {
		return err
	}
	if entry == nil {
		// No function to call: the script runs as is and must display.
		if !sig.displays {
			return errors.New("the script neither defines a function to call nor calls px.display: Pixie would refuse it")
		}
		return nil
	}
	if len(entry.unannotated) > 0 {
		return fmt.Errorf("function %s: parameter %s has no type annotation (Pixie requires one to pass arguments)",
			entry.name, strings.Join(entry.unannotated, ", "))
	}
	s.Entry, s.Tables = entry.name, []string{"output"}
	if s.Description == "" {
		s.Description = summary(entry.doc)
		if s.Title == "" {
			s.Title, _, _ = strings.Cut(s.Description, ". ")
		}
	}
	usual := sig.callArgs[entry.name]
	for _, p := range entry.params {
		if !knownType(p.Type) {
			return fmt.Errorf("function %s: parameter %s has type %s; supported: %s", entry.name, p.Name, p.Type, strings.Join(paramTypes, ", "))
		}
		// Defaults: the sidecar, then the Python default, then the value
		// the script itself passes in its own module-level call.
		if v, ok := sc.Defaults[p.Name]; ok {
			p.Default, p.Required = &v, false
		} else if p.Default == nil {
			if v, ok := usual[p.Name]; ok {
				p.Default, p.Required = &v, false
			}
		}
		if p.Default != nil {
			if err := checkValue(p, *p.Default); err != nil {
				return fmt.Errorf("default of %s: %w", p.Name, err)
			}
		}
		s.Params = append(s.Params, p)
	}
	for name := range sc.Defaults {
		if !hasParam(entry.params, name) {
			return fmt.Errorf("sidecar sets a default for %s, which %s does not take", name, entry.name)
		}
	}
	return nil
}

// pickEntry chooses the function to call: the sidecar's, else the one
// function the module calls itself (the seed's style), else the only
// function, else the first function not used by another one.
func pickEntry(sig *signature, want string) (*funcSig, error) {
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
	switch len(sig.funcs) {
	case 0:
		return nil, nil
	case 1:
		return sig.funcs[0], nil
	}
	return nil, fmt.Errorf("several functions (%s) and none is called by the script: name the entry function in a sidecar %s",
		funcNames(sig.funcs), "{\"entry\": \"...\"}")
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
