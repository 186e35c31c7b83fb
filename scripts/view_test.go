package scripts

import (
	"errors"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/pixie"
)

// TestViewDefaultsThatDisagreeAreDropped: a function the view calls twice
// with different values for one parameter gets no default for it (the
// argument is required), never one of the two.
func TestViewDefaultsThatDisagreeAreDropped(t *testing.T) {
	t.Parallel()
	five, hour := "-5m", "-1h"
	view := &pixie.LiveView{
		Variables: []pixie.ViewVariable{{Name: "start_time", Default: &five}, {Name: "long", Default: &hour}, {Name: "service"}},
		Calls: []pixie.ViewCall{
			{Func: "f", Args: []pixie.ViewArg{{Name: "start_time", Variable: "start_time"}, {Name: "n", Value: "10"}, {Name: "service", Variable: "service"}}},
			{Func: "f", Args: []pixie.ViewArg{{Name: "start_time", Variable: "long"}, {Name: "n", Value: "10"}}},
		},
	}
	src := "import px\n\ndef f(start_time: str, n: int, service: px.Service):\n    return px.DataFrame('t', start_time=start_time)\n\ndef g(start_time: str):\n    return f(start_time, 1, 'a/b')\n"
	s := newScript("px/x", OriginPixie, src, nil, view)
	if s.Error != "" || s.Entry != "f" || len(s.Functions) != 2 {
		t.Fatalf("got %+v", s)
	}
	ps := s.Functions[0].Params
	if ps[0].Default != nil || !ps[0].Required {
		t.Errorf("start_time got a default from disagreeing calls: %+v", ps[0])
	}
	if ps[1].Default == nil || *ps[1].Default != "10" {
		t.Errorf("n: %+v", ps[1])
	}
	if ps[2].Default != nil {
		t.Errorf("service: a variable without default gave one: %+v", ps[2])
	}
	if !s.Functions[0].View || s.Functions[1].View {
		t.Errorf("View flags: %+v", s.Functions)
	}
}

func TestSummaryDropsSectionHeaders(t *testing.T) {
	t.Parallel()
	got := summary("Compute the LET.\n\n    Args:\n    @start_time: when\n    Returns:\n")
	if got != "Compute the LET." {
		t.Errorf("got %q", got)
	}
}

// TestViewValidValuesBind: a parameter the view fills from a variable with
// valid values takes only those (every call agreeing); a call passing a
// literal or another list leaves it open.
func TestViewValidValuesBind(t *testing.T) {
	t.Parallel()
	node := "node"
	view := &pixie.LiveView{
		Variables: []pixie.ViewVariable{
			{Name: "groupby", Default: &node, ValidValues: []string{"node", "service", "pod"}},
			{Name: "other", Default: &node, ValidValues: []string{"node", "pod"}},
		},
		Calls: []pixie.ViewCall{
			{Func: "f", Args: []pixie.ViewArg{{Name: "by", Variable: "groupby"}, {Name: "mixed", Variable: "groupby"}, {Name: "lit", Variable: "groupby"}}},
			{Func: "f", Args: []pixie.ViewArg{{Name: "by", Variable: "groupby"}, {Name: "mixed", Variable: "other"}, {Name: "lit", Value: "node"}, {Name: "left", Variable: "groupby"}}},
		},
	}
	src := "import px\n\ndef f(by: str, mixed: str, lit: str, left: str = 'node'):\n    return px.DataFrame('t')\n"
	s := newScript("px/x", OriginPixie, src, nil, view)
	if s.Error != "" || s.Entry != "f" {
		t.Fatalf("got %+v", s)
	}
	ps := s.Functions[0].Params
	if got := ps[0].ValidValues; len(got) != 3 || got[1] != "service" {
		t.Errorf("by: valid values %v, want the variable's", got)
	}
	if ps[1].ValidValues != nil || ps[2].ValidValues != nil || ps[3].ValidValues != nil {
		t.Errorf("calls that disagree bound valid values: mixed %v, lit %v, left out by a call %v", ps[1].ValidValues, ps[2].ValidValues, ps[3].ValidValues)
	}
	if _, err := s.Bind("f", map[string]string{"by": "pod", "mixed": "anything", "lit": "x"}); err != nil {
		t.Errorf("valid values refused: %v", err)
	}
	_, err := s.Bind("f", map[string]string{"by": "nodes"})
	var ae *ArgError
	if !errors.As(err, &ae) || len(ae.Problems) != 1 || ae.Problems[0].Arg != "by" ||
		!strings.Contains(ae.Problems[0].Message, `"nodes" is not one of the values the script's live view offers: node, service, pod`) {
		t.Errorf("an invalid value: got %v", err)
	}
}
