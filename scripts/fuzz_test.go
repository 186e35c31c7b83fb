package scripts

import (
	"errors"
	"testing"
)

// FuzzNewScript: any source becomes a catalog entry, runnable or with an
// Error; the parser never takes the catalog down.
func FuzzNewScript(f *testing.F) {
	for _, seed := range []string{
		"import px\n\ndef f(start_time: str, service: px.Service):\n    return px.DataFrame('http_events')\n\ndf = f('-2m', 'default/x')\npx.display(df)\n",
		"import px\npx.display(px.DataFrame('t'))\n",
		"def f(:\n", "import px\ndef a(x: int):\n    return 1\ndef b(y: px.Pod):\n    return 2\n", "def f(x):\n    '''@x: y'''\n", "x = (1,\n", "\t\tdef", "'''", "def f(a: int = -3, b: bool = True): pass\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s := newScript("fuzz", OriginUser, src, nil, nil)
		if s.Runnable() && s.Entry == "" && len(s.Params) != 0 {
			t.Fatalf("a script run as is has parameters: %+v", s)
		}
		if s.NeedsFunc() && len(s.Functions) == 0 {
			t.Fatalf("a script that needs func has no function to name: %+v", s)
		}
		if !s.Runnable() && len(s.Functions) != 0 {
			t.Fatalf("a broken script lists functions: %+v", s)
		}
		for _, p := range s.Params {
			if !knownType(p.Type) {
				t.Fatalf("runnable script with parameter type %q", p.Type)
			}
		}
		for _, f := range s.Functions {
			for _, p := range f.Params {
				if !knownType(p.Type) {
					t.Fatalf("function %s has parameter type %q", f.Name, p.Type)
				}
			}
		}
	})
}

// FuzzBind: any argument value is accepted only when it checks out against
// the parameter's type; a refusal names the argument.
func FuzzBind(f *testing.F) {
	c, _, err := Load(Options{})
	if err != nil {
		f.Fatal(err)
	}
	let, err := c.Get(f.Context(), "service_let")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][2]string{{"default/consumer", "-2m"}, {"consumer", "yesterday"}, {"a/b/c", "-1h30m"}, {"", ""}, {"Default/X", "2026-11-25T03:00:00Z"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, service, start string) {
		fn, err := let.Bind("", map[string]string{"service": service, "start_time": start})
		if err != nil {
			var ae *ArgError
			if !errors.As(err, &ae) || len(ae.Problems) == 0 {
				t.Fatalf("got %v, want an ArgError", err)
			}
			for _, p := range ae.Problems {
				if p.Arg != "service" && p.Arg != "start_time" {
					t.Fatalf("problem names %q", p.Arg)
				}
			}
			return
		}
		if !nsNameRe.MatchString(fn.Args[1].Value) {
			t.Fatalf("accepted service %q", service)
		}
	})
}
