package scripts

import (
	"slices"

	"github.com/pxgate/pxgate/pixie"
)

// viewCall is what a library script's live view says about calling one
// of its functions.
type viewCall struct {
	// defaults are the values the view passes: a variable's default or a
	// literal. A parameter the view passes differently in two calls has
	// none (the argument is then required).
	defaults map[string]string
	// descriptions are the descriptions of the variables passed.
	descriptions map[string]string
	// valid are the only values the view offers for a parameter: its
	// variable's valid values, when every call passes a variable with the
	// same ones (a literal or another list: none).
	valid map[string][]string
}

// viewCalls reads a live view's function calls, by function name; nil
// for no view.
func viewCalls(view *pixie.LiveView) map[string]viewCall {
	if view == nil {
		return nil
	}
	vars := make(map[string]pixie.ViewVariable, len(view.Variables))
	for _, v := range view.Variables {
		vars[v.Name] = v
	}
	out := map[string]viewCall{}
	conflicts := map[string]map[string]bool{}
	offered := map[string]map[string][][]string{} // func -> param -> each call's valid values
	calls := map[string]int{}                     // func -> calls
	for _, c := range view.Calls {
		calls[c.Func]++
		vc, seen := out[c.Func]
		if !seen {
			vc = viewCall{defaults: map[string]string{}, descriptions: map[string]string{}, valid: map[string][]string{}}
			out[c.Func] = vc
			conflicts[c.Func] = map[string]bool{}
			offered[c.Func] = map[string][][]string{}
		}
		for _, a := range c.Args {
			val, ok := a.Value, true
			var valid []string
			if a.Variable != "" {
				v := vars[a.Variable]
				valid = v.ValidValues
				if v.Description != "" {
					vc.descriptions[a.Name] = v.Description
				}
				ok = v.Default != nil
				if ok {
					val = *v.Default
				}
			}
			offered[c.Func][a.Name] = append(offered[c.Func][a.Name], valid)
			prev, had := vc.defaults[a.Name]
			switch {
			case conflicts[c.Func][a.Name]:
			case !ok || (seen && (!had || prev != val)):
				// No default, or two calls that disagree (or a later call
				// passing what an earlier one left out).
				conflicts[c.Func][a.Name] = true
				delete(vc.defaults, a.Name)
			default:
				vc.defaults[a.Name] = val
			}
		}
	}
	for f, params := range offered {
		for name, lists := range params {
			// Every call passes the parameter, from variables offering
			// the same values (a call leaving it out passes its default).
			if len(lists) == calls[f] && len(lists[0]) > 0 && !slices.ContainsFunc(lists, func(l []string) bool { return !slices.Equal(l, lists[0]) }) {
				out[f].valid[name] = lists[0]
			}
		}
	}
	return out
}
