package history_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pxgate/pxgate/history"
)

func run(script, outcome string) history.Run {
	return history.Run{Script: script, Outcome: outcome, Args: map[string]string{"service": "default/" + script}}
}

func scripts(runs []history.Run) string {
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.Script
	}
	return strings.Join(names, ",")
}

func TestListIsNewestFirst(t *testing.T) {
	t.Parallel()
	h := history.New(10)
	h.Add(run("a", history.OutcomePass))
	h.Add(run("b", history.OutcomeFail))
	h.Add(run("c", history.OutcomeError))
	h.Add(run("d", history.OutcomePass))
	if got, want := scripts(h.List(false)), "d,c,b,a"; got != want {
		t.Errorf("List(false): got %s, want %s", got, want)
	}
	if got, want := scripts(h.List(true)), "c,b"; got != want {
		t.Errorf("List(true): got %s, want %s", got, want)
	}
}

func TestFailuresOutliveSuccesses(t *testing.T) {
	t.Parallel()
	h := history.New(3)
	h.Add(run("old-failure", history.OutcomeFail))
	for i := range 10 {
		h.Add(run(fmt.Sprintf("pass%d", i), history.OutcomePass))
	}
	if got, want := scripts(h.List(false)), "pass9,pass8,pass7,old-failure"; got != want {
		t.Errorf("List(false): got %s, want %s", got, want)
	}
	for i := range 5 {
		h.Add(run(fmt.Sprintf("fail%d", i), history.OutcomeFail))
	}
	if got, want := scripts(h.List(true)), "fail4,fail3,fail2"; got != want {
		t.Errorf("List(true): got %s, want %s (bounded to the size)", got, want)
	}
	if n := len(h.List(false)); n > 6 {
		t.Errorf("entries: got %d, want at most 2*size = 6", n)
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	h := history.New(2)
	first := h.Add(run("first", history.OutcomePass))
	if first.ID == "" {
		t.Fatal("Add assigned no id")
	}
	got, ok := h.Get(first.ID)
	if !ok || got.Script != "first" {
		t.Fatalf("Get(%q): got %+v, %v", first.ID, got, ok)
	}
	h.Add(run("second", history.OutcomePass))
	h.Add(run("third", history.OutcomePass))
	if _, ok := h.Get(first.ID); ok {
		t.Errorf("Get(%q) found a run pushed out of the ring", first.ID)
	}
	for _, id := range []string{"", "1", "nope-1", first.ID + "0"} {
		if _, ok := h.Get(id); ok {
			t.Errorf("Get(%q) found a run", id)
		}
	}
	if other := history.New(2).Add(run("x", history.OutcomePass)); other.ID == first.ID {
		t.Errorf("two histories gave the same id %q", other.ID)
	}
}

func TestAddCopies(t *testing.T) {
	t.Parallel()
	h := history.New(2)
	r := run("a", history.OutcomeFail)
	r.Verdict = &history.Verdict{Checks: []history.Check{{Name: "c"}}}
	h.Add(r)
	r.Args["service"] = "changed"
	r.Verdict.Checks[0].Name = "changed"
	got := h.List(false)[0]
	if got.Args["service"] != "default/a" || got.Verdict.Checks[0].Name != "c" {
		t.Errorf("the recorded run changed with the caller's copy: %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	h := history.New(50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				outcome := history.OutcomePass
				if i%7 == 0 {
					outcome = history.OutcomeFail
				}
				r := h.Add(run(fmt.Sprint(g), outcome))
				_, _ = h.Get(r.ID)
				_ = h.List(i%2 == 0)
			}
		})
	}
	wg.Wait()
	if n := len(h.List(false)); n < 50 || n > 100 {
		t.Errorf("entries: got %d, want 50 to 100", n)
	}
}
