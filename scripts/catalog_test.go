package scripts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, dir string) (*Catalog, []error) {
	t.Helper()
	c, problems, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return c, problems
}

func param(t *testing.T, s *Script, name string) Param {
	t.Helper()
	for _, p := range s.Params {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s has no parameter %s (has %+v)", s.Name, name, s.Params)
	return Param{}
}

func TestEmbeddedScriptsParse(t *testing.T) {
	t.Parallel()
	c, problems := load(t, "")
	if len(problems) > 0 {
		t.Fatalf("embedded scripts have problems: %v", problems)
	}
	tests := []struct {
		name, entry string
		params      map[string]string // name -> type
	}{
		{"service_let", "inbound_let_timeseries", map[string]string{"start_time": "str", "service": "px.Service"}},
		{"http_endpoints", "http_endpoints", map[string]string{"start_time": "str", "service": "px.Service"}},
		{"pod_resources", "pod_resources", map[string]string{"start_time": "str", "namespace": "px.Namespace"}},
		{"service_map", "service_map", map[string]string{"start_time": "str", "namespace": "px.Namespace"}},
	}
	for _, tc := range tests {
		s, err := c.Get(t.Context(), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Entry != tc.entry || s.Origin != OriginEmbedded || !s.Runnable() || s.Description == "" || s.Title == "" {
			t.Errorf("%s: got %+v", tc.name, s)
		}
		if len(s.Params) != len(tc.params) {
			t.Errorf("%s: got %d params, want %d", tc.name, len(s.Params), len(tc.params))
		}
		for name, typ := range tc.params {
			p := param(t, s, name)
			if p.Type != typ || p.Description == "" || p.Default == nil || p.Required {
				t.Errorf("%s.%s: got %+v, want type %s with a description and a default", tc.name, name, p, typ)
			}
		}
	}
	let, _ := c.Get(t.Context(), "service_let")
	if d := *param(t, let, "start_time").Default; d != "-2m" {
		t.Errorf("service_let start_time default = %q, want -2m (from the script's own call)", d)
	}
	if d := *param(t, let, "service").Default; d != "default/consumer" {
		t.Errorf("service_let service default = %q", d)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUserDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "errors.pxl", `import px

def errors_by_pod(start_time: str, pod: px.Pod, limit: int = 10, ratio: float = 0.5, strict: bool = False):
    ''' Errors of one pod.

    @pod: The pod, namespace/name.
    @limit: Rows to keep.
    '''
    df = px.DataFrame(table='http_events', start_time=start_time)
    return df.head(limit)
`)
	write(t, dir, "team/plain.pxl", "import px\npx.display(px.DataFrame('http_events').head(5))\n")
	write(t, dir, "service_let.pxl", "import px\n\ndef mine(start_time: str):\n    return px.DataFrame('http_events', start_time=start_time)\n")
	write(t, dir, "broken.pxl", "import px\ndef f(:\n")
	write(t, dir, "untyped.pxl", "import px\ndef f(start_time):\n    return px.DataFrame('http_events')\n")
	write(t, dir, "silent.pxl", "import px\ndf = px.DataFrame('http_events')\n")
	write(t, dir, "two.pxl", "import px\ndef a(x: str):\n    return b(x)\ndef b(x: str):\n    return px.DataFrame('http_events')\n")
	write(t, dir, "two.json", `{"title": "Two", "entry": "b", "defaults": {"x": "y"}}`)
	write(t, dir, "badsidecar.pxl", "import px\ndef a(x: str):\n    return px.DataFrame('http_events')\n")
	write(t, dir, "badsidecar.json", `{"entri": "a"}`)
	write(t, dir, "..data/hidden.pxl", "import px\n")

	c, problems := load(t, dir)
	wantProblems := []string{"broken", "untyped", "silent", "badsidecar"}
	if len(problems) != len(wantProblems) {
		t.Errorf("got problems %v, want one for each of %v", problems, wantProblems)
	}
	for _, w := range wantProblems {
		s, err := c.Get(t.Context(), w)
		if err != nil {
			t.Fatalf("%s: broken scripts stay listed: %v", w, err)
		}
		if s.Runnable() {
			t.Errorf("%s: got runnable, want an error", w)
		}
	}
	if s, _ := c.Get(t.Context(), "broken"); !strings.Contains(s.Error, "line 2") {
		t.Errorf("broken: error %q lacks the position", s.Error)
	}
	if s, _ := c.Get(t.Context(), "untyped"); !strings.Contains(s.Error, "start_time has no type annotation") {
		t.Errorf("untyped: got %q", s.Error)
	}

	e, err := c.Get(t.Context(), "errors")
	if err != nil || !e.Runnable() || e.Origin != OriginUser || e.Title != "Errors of one pod." {
		t.Fatalf("errors: %+v %v", e, err)
	}
	if p := param(t, e, "start_time"); !p.Required || p.Default != nil {
		t.Errorf("start_time: got %+v, want required", p)
	}
	if p := param(t, e, "limit"); p.Type != "int" || p.Required || *p.Default != "10" || p.Description != "Rows to keep." {
		t.Errorf("limit: got %+v", p)
	}
	if p := param(t, e, "strict"); p.Type != "bool" || *p.Default != "false" {
		t.Errorf("strict: got %+v", p)
	}
	if p, err := c.Get(t.Context(), "team/plain"); err != nil || p.Entry != "" || !p.Runnable() {
		t.Errorf("team/plain: %+v %v", p, err)
	}
	if s, _ := c.Get(t.Context(), "service_let"); s.Origin != OriginUser || s.Entry != "mine" {
		t.Errorf("a user script does not override the embedded one: %+v", s)
	}
	if s, _ := c.Get(t.Context(), "two"); s.Entry != "b" || s.Title != "Two" || *param(t, s, "x").Default != "y" {
		t.Errorf("sidecar not applied: %+v", s)
	}
	if _, err := c.Get(t.Context(), "hidden"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a file under ..data was loaded: %v", err)
	}
	list, _ := c.List(context.Background())
	for i := 1; i < len(list); i++ {
		if list[i-1].Name >= list[i].Name {
			t.Errorf("list not sorted: %s before %s", list[i-1].Name, list[i].Name)
		}
	}
}

func TestLoadBadDirectory(t *testing.T) {
	t.Parallel()
	if _, _, err := Load(Options{Dir: "/nonexistent/pxgate"}); err == nil || !strings.Contains(err.Error(), "PXGATE_SCRIPTS_DIR") {
		t.Errorf("got %v, want an error naming PXGATE_SCRIPTS_DIR", err)
	}
}

func TestBind(t *testing.T) {
	t.Parallel()
	c, _ := load(t, "")
	let, err := c.Get(t.Context(), "service_let")
	if err != nil {
		t.Fatal(err)
	}
	fn, err := let.Bind("", map[string]string{"service": "default/producer", "start_time": "-1h30m"})
	if err != nil {
		t.Fatal(err)
	}
	if fn.Name != "inbound_let_timeseries" || fn.OutputPrefix != "output" || len(fn.Args) != 2 ||
		fn.Args[0].Name != "start_time" || fn.Args[0].Value != "-1h30m" || fn.Args[1].Value != "default/producer" {
		t.Errorf("got %+v", fn)
	}
	fn, err = let.Bind("", nil)
	if err != nil || fn.Args[0].Value != "-2m" || fn.Args[1].Value != "default/consumer" {
		t.Errorf("defaults: got %+v, %v", fn, err)
	}
	bad := []struct {
		args map[string]string
		want []string
	}{
		{map[string]string{"service": "consumer"}, []string{"service", "namespace/name"}},
		{map[string]string{"start_time": "yesterday"}, []string{"start_time", "relative time"}},
		{map[string]string{"servce": "default/x"}, []string{"servce", "unknown argument", "takes start_time, service"}},
		{map[string]string{"service": "a", "start_time": "b", "x": "c"}, []string{"service:", "start_time:", "x:"}},
	}
	for _, tc := range bad {
		_, err := let.Bind("", tc.args)
		var ae *ArgError
		if !errors.As(err, &ae) {
			t.Fatalf("%v: got %v, want *ArgError", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Param
		v    string
		good bool
	}{
		{Param{Name: "start_time", Type: "str"}, "-2m", true},
		{Param{Name: "start_time", Type: "str"}, "-1h30m", true},
		{Param{Name: "start_time", Type: "str"}, "2026-11-25T03:00:00Z", true},
		{Param{Name: "start_time", Type: "str"}, "2m", false},
		{Param{Name: "label", Type: "str"}, "anything at all", true},
		{Param{Name: "svc", Type: "px.Service"}, "default/consumer", true},
		{Param{Name: "svc", Type: "px.Service"}, "Default/Consumer", false},
		{Param{Name: "pod", Type: "px.Pod"}, "default/consumer-7d9f8b6c4-x2k9p", true},
		{Param{Name: "ns", Type: "px.Namespace"}, "kube-system", true},
		{Param{Name: "ns", Type: "px.Namespace"}, "a/b", false},
		{Param{Name: "n", Type: "int"}, "-3", true},
		{Param{Name: "n", Type: "int"}, "3.5", false},
		{Param{Name: "f", Type: "float"}, "3.5", true},
		{Param{Name: "f", Type: "float"}, "NaN", false},
		{Param{Name: "b", Type: "bool"}, "true", true},
		{Param{Name: "b", Type: "bool"}, "yes", false},
	}
	for _, tc := range tests {
		if err := checkValue(tc.p, tc.v); (err == nil) != tc.good {
			t.Errorf("checkValue(%s %s, %q) = %v, want ok=%v", tc.p.Name, tc.p.Type, tc.v, err, tc.good)
		}
	}
}
