package tolerance

import (
	"strings"
	"testing"
)

// FuzzParseExpect: any text either parses into a spec that compiles, or is
// refused with an error; it never panics, and an accepted expression's
// generated name parses back to an equivalent check.
func FuzzParseExpect(f *testing.F) {
	for _, seed := range []string{
		"p99(latency_p99) < 300ms", "mean(error_rate) <= 0.05", "count() >= 1", "all(latency_p99) < 1s",
		"p(99.9)(x) > 2", "percentile(x, 95) == 3", "max(x) in [1, 2]", "none(x) >= 1e9ns", "avg(x)<", "", "((((",
		"p99(latency_p99) < 300xs", "count(x) > -1", "min(x) <= NaN", "last(t) == 1µs",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseExpect(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error for %q", s)
			}
			return
		}
		set, err := Compile([]Spec{spec})
		if err != nil {
			t.Fatalf("ParseExpect(%q) accepted a spec that does not compile: %v", s, err)
		}
		if set.Len() != 1 {
			t.Fatalf("got %d checks", set.Len())
		}
		again, err := ParseExpect(spec.Name)
		if err != nil {
			t.Fatalf("the name %q of %q does not parse back: %v", spec.Name, s, err)
		}
		if strings.TrimSpace(again.Name) == "" {
			t.Fatalf("empty name")
		}
	})
}
