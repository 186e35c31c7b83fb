package scripts

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pxgate/pxgate/pixie"
)

// paramTypes are the annotations a catalog script's entry may use.
var paramTypes = []string{"str", "int", "float", "bool", "px.Service", "px.Pod", "px.Namespace", "px.Node"}

func knownType(t string) bool {
	for _, k := range paramTypes {
		if t == k {
			return true
		}
	}
	return false
}

var (
	// A Kubernetes object name (DNS-1123 subdomain, loosely).
	k8sName = `[a-z0-9]([-a-z0-9.]*[a-z0-9])?`
	// namespace/name, as Pixie writes services and pods.
	nsNameRe = regexp.MustCompile(`^` + k8sName + `/` + k8sName + `$`)
	nameRe   = regexp.MustCompile(`^` + k8sName + `$`)
	// Pixie's relative times: -2m, -1h30m, -90s, -1d.
	relTimeRe = regexp.MustCompile(`^-(\d+(ns|us|µs|ms|s|m|h|d))+$`)
)

// isTimeParam says whether a str parameter holds a time: Pixie scripts name
// them start_time / end_time.
func isTimeParam(p Param) bool {
	return p.Type == "str" && (p.Name == "start_time" || p.Name == "end_time" || strings.HasSuffix(p.Name, "_time"))
}

// checkValue validates one argument value against its parameter's type
// and valid values.
func checkValue(p Param, v string) error {
	if len(p.ValidValues) > 0 && !slices.Contains(p.ValidValues, v) {
		return fmt.Errorf("%q is not one of the values the script's live view offers: %s", v, strings.Join(p.ValidValues, ", "))
	}
	switch {
	case p.Type == "px.Service" || p.Type == "px.Pod":
		kind := strings.ToLower(strings.TrimPrefix(p.Type, "px."))
		if !nsNameRe.MatchString(v) {
			return fmt.Errorf("%q is not a %s: write namespace/name, e.g. default/consumer", v, kind)
		}
	case p.Type == "px.Namespace" || p.Type == "px.Node":
		if !nameRe.MatchString(v) {
			return fmt.Errorf("%q is not a %s name", v, strings.ToLower(strings.TrimPrefix(p.Type, "px.")))
		}
	case p.Type == "int":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
	case p.Type == "float":
		if f, err := strconv.ParseFloat(v, 64); err != nil || f != f {
			return fmt.Errorf("%q is not a number", v)
		}
	case p.Type == "bool":
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
	case isTimeParam(p):
		if relTimeRe.MatchString(v) || v == "now" {
			return nil
		}
		if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return nil
		}
		return fmt.Errorf("%q is not a time: use a relative time such as -2m or -1h30m, or RFC 3339", v)
	}
	return nil
}

// ArgError lists every problem with a call's arguments. Nothing is sent to
// Pixie when Bind returns one.
type ArgError struct {
	Script   string
	Problems []ArgProblem
}

// ArgProblem is one argument's problem.
type ArgProblem struct {
	Arg     string
	Message string
}

func (e *ArgError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Arg + ": " + p.Message
	}
	return fmt.Sprintf("script %s: %s", e.Script, strings.Join(parts, "; "))
}

// Bind validates args against the parameters of the function a run calls
// (fn, or the script's Entry when fn is empty), applies defaults and
// returns the exec_funcs call (nil for a script run as is, which takes no
// arguments). A run that names no function it can call is a *FuncError;
// unknown and missing arguments are an *ArgError that names them.
func (s *Script) Bind(fn string, args map[string]string) (*pixie.Func, error) {
	name, params, err := s.callee(fn)
	if err != nil {
		return nil, err
	}
	takes := s.Name
	if fn != "" {
		takes = s.Name + "'s " + fn
	}
	e := &ArgError{Script: s.Name}
	for _, arg := range sortedKeys(args) {
		if !hasParam(params, arg) {
			msg := "unknown argument"
			if len(params) > 0 {
				msg += " (" + takes + " takes " + paramList(params) + ")"
			} else {
				msg += " (" + takes + " takes no arguments)"
			}
			e.Problems = append(e.Problems, ArgProblem{arg, msg})
		}
	}
	var call []pixie.Arg
	for _, p := range params {
		v, ok := args[p.Name]
		if !ok {
			if p.Default == nil {
				e.Problems = append(e.Problems, ArgProblem{p.Name, "missing required argument of type " + p.Type})
				continue
			}
			v = *p.Default
		}
		if err := checkValue(p, v); err != nil {
			e.Problems = append(e.Problems, ArgProblem{p.Name, err.Error()})
			continue
		}
		call = append(call, pixie.Arg{Name: p.Name, Value: v})
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	if name == "" {
		return nil, nil
	}
	return &pixie.Func{Name: name, Args: call, OutputPrefix: "output"}, nil
}

// callee is the function a run with func fn calls, and its parameters;
// name is empty for a script run as is.
func (s *Script) callee(fn string) (name string, params []Param, err error) {
	if fn == "" {
		if s.NeedsFunc() {
			return "", nil, &FuncError{Script: s.Name, Functions: s.Functions}
		}
		return s.Entry, s.Params, nil
	}
	for _, f := range s.Functions {
		if f.Name == fn {
			return f.Name, f.Params, nil
		}
	}
	return "", nil, &FuncError{Script: s.Name, Func: fn, Functions: s.Functions}
}

// FuncError is a run of a catalog script that names no function the
// script can call: the script needs func (it has no default function and
// does not display), or func names none of its functions. Its message
// lists the functions with their parameters.
type FuncError struct {
	Script string
	// Func is the function asked for; empty when func was not given.
	Func      string
	Functions []Function
}

func (e *FuncError) Error() string {
	switch {
	case e.Func == "":
		return fmt.Sprintf("script %s does not say which of its functions to run (it calls no px.display itself): set func to one of: %s",
			e.Script, Signatures(e.Functions))
	case len(e.Functions) == 0:
		return fmt.Sprintf("script %s has no function %s (it defines none that can be called by name; run it without func)", e.Script, e.Func)
	}
	return fmt.Sprintf("script %s has no function %s; its functions: %s", e.Script, e.Func, Signatures(e.Functions))
}

// Signatures writes functions as PxL-like signatures with their defaults:
// "f(start_time: str = -5m, service: px.Service); g()".
func Signatures(fs []Function) string {
	sigs := make([]string, len(fs))
	for i, f := range fs {
		ps := make([]string, len(f.Params))
		for j, p := range f.Params {
			ps[j] = p.Name + ": " + p.Type
			if p.Default != nil {
				ps[j] += " = " + strconv.Quote(*p.Default)
			}
		}
		sigs[i] = f.Name + "(" + strings.Join(ps, ", ") + ")"
	}
	return strings.Join(sigs, "; ")
}

func paramList(ps []Param) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
