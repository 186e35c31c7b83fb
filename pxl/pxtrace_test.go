package pxl_test

import (
	"strings"
	"testing"

	"github.com/pxgate/pxgate/pxl"
)

// TestPxtraceChecks: only one @pxtrace.probe decorates a def; a probe
// function must return fields; a source without a Tracer cannot run a
// mutation; without the mutation flag the calls are ignored.
func TestPxtraceChecks(t *testing.T) {
	src := &pxl.MemSource{Clock: testNow, Tables: map[string]*pxl.Table{}, Meta: pxl.NewMetadata(nil, nil)}
	for _, c := range []struct {
		name, script string
		mutation     bool
		want         string
	}{
		{"other decorator", "import px\n@px.probe('x')\ndef f():\n    return 1\npx.display(px.DataFrame('t'))\n", true, "decorators are not supported"},
		{"bad probe output", "import px\nimport pxtrace\n@pxtrace.probe('f')\ndef f():\n    return [{'a': 1}]\npxtrace.UpsertTracepoint('n', 't', f, pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n", true, "must be pxtrace.ArgExpr"},
		{"no printf", "import px\nimport pxtrace\npxtrace.UpsertTracepoint('n', 't', 'kprobe:x {}', pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n", true, "has no printf"},
		{"bad ttl", "import px\nimport pxtrace\npxtrace.UpsertTracepoint('n', 't', 'printf(\"a:%d\")', pxtrace.kprobe(), 'soon')\npx.display(px.DataFrame('t'))\n", true, "ttl must be"},
		{"no tracer", "import px\nimport pxtrace\npxtrace.UpsertTracepoint('n', 't', 'printf(\"time_:%llu a:%s\")', pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n", true, "cannot deploy tracepoints"},
		{"aliased module's probe", "import px\nimport pxtrace as pt\n@pt.probe('main.f')\ndef f():\n    return [{'a': pt.ArgExpr('x')}]\npt.UpsertTracepoint('n', 't', f, pt.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n", true, "cannot deploy tracepoints"},
		{"not a mutation", "import px\nimport pxtrace\npxtrace.UpsertTracepoint('n', 't', 'printf(\"time_:%llu a:%s\")', pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n", false, "Table 't' not found"},
	} {
		_, err := pxl.NewEngine(src).Run(t.Context(), c.script, pxl.RunOptions{Mutation: c.mutation})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestProbeDecoratorErrorsPointAtTheArgument: a bad @pxtrace.probe
// argument is reported where it is written, not at the def below it.
func TestProbeDecoratorErrorsPointAtTheArgument(t *testing.T) {
	src := &pxl.MemSource{Clock: testNow, Tables: map[string]*pxl.Table{}, Meta: pxl.NewMetadata(nil, nil)}
	for _, c := range []struct{ script, want string }{
		{"import px\nimport pxtrace\n\n@pxtrace.probe(1)\ndef f():\n    return 1\npx.display(px.DataFrame('t'))\n", "4:16: pxtrace.probe's trace_fn must be a string"},
		{"import px\nimport pxtrace\n\n@pxtrace.probe('a', x=1)\ndef f():\n    return 1\npx.display(px.DataFrame('t'))\n", "4:21: pxtrace.probe got an unexpected keyword argument 'x'"},
	} {
		_, err := pxl.NewEngine(src).Run(t.Context(), c.script, pxl.RunOptions{Mutation: true})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
