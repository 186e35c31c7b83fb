package handlers

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzMayBeMalformed: the fast check never passes a query that
// url.ParseQuery refuses (which would silently drop parameters).
func FuzzMayBeMalformed(f *testing.F) {
	for _, q := range []string{"", "a=1&b=2", "expect=p99(x)<5;rows=all", "a=%zz", "a=%4", "a=%41", "a=%", "a+b=c%2Bd", strings.Repeat("a&", 5001)} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := url.ParseQuery(q); err != nil && !mayBeMalformed(q) {
			t.Errorf("ParseQuery(%q) fails (%v) but mayBeMalformed says no", q, err)
		}
	})
}

func TestMayBeMalformed(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"":                      false,
		"script=a&expect=x%3C5": false,
		"a=%41":                 false,
		"a=1;b=2":               true,
		"a=%zz":                 true,
		"a=%4":                  true,
		"a=%":                   true,
	} {
		if got := mayBeMalformed(q); got != want {
			t.Errorf("mayBeMalformed(%q) = %v, want %v", q, got, want)
		}
	}
}
