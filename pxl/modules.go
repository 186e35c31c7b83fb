package pxl

import (
	_ "embed"
	"sync"
)

// PxL's modules besides px: pxviews, a library of views written in PxL
// (lib/pxviews.pxl, evaluated on import), and the module attributes a
// script may set (px.Node = str).

//go:embed lib/pxviews.pxl
var pxviewsSource string

// libModules are the PxL-written modules a script may import, by name.
var libModules = map[string]*string{"pxviews": &pxviewsSource}

// libProgram compiles a library module once.
var libPrograms = struct {
	sync.Mutex
	m map[string]*Program
}{m: map[string]*Program{}}

func libProgram(name string) *Program {
	libPrograms.Lock()
	defer libPrograms.Unlock()
	if p := libPrograms.m[name]; p != nil {
		return p
	}
	p, err := Compile(*libModules[name])
	if err != nil {
		panic("pxl: library module " + name + " does not compile: " + err.Error())
	}
	libPrograms.m[name] = p
	return p
}

// libModule is an imported library module: its global scope.
type libModule struct {
	name  string
	scope *scope
}

// importModule is the value `import name` binds.
func (in *interp) importModule(name string) any {
	if name == "pxtrace" {
		return &traceModule{}
	}
	if _, ok := libModules[name]; !ok {
		return &pxModule{}
	}
	if m := in.libs[name]; m != nil {
		return m
	}
	sc := newScope(nil)
	in.execBlock(libProgram(name).mod.Body, sc)
	m := &libModule{name: name, scope: sc}
	if in.libs == nil {
		in.libs = map[string]*libModule{}
	}
	in.libs[name] = m
	return m
}

// libAttr is module.name of a library module.
func (in *interp) libAttr(m *libModule, name string, pos srcPos) any {
	v, ok := m.scope.vars[name]
	if !ok {
		in.fail(pos, "module '%s' has no attribute '%s'", m.name, name)
	}
	return v
}

// setPxAttr is px.name = v: later reads of px.name in the script give v.
func (in *interp) setPxAttr(name string, v any) {
	if in.pxAttrs == nil {
		in.pxAttrs = map[string]any{}
	}
	in.pxAttrs[name] = v
}
