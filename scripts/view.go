package scripts

import "github.com/pxgate/pxgate/pixie"

// viewCall is what a library script's live view says about calling one
// of its functions.
type viewCall struct {
	// defaults are the values the view passes: a variable's default or a
	// literal. A parameter the view passes differently in two calls has
	// none (the argument is then required).
	defaults map[string]string
	// descriptions are the descriptions of the variables passed.
	descriptions map[string]string
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
	for _, c := range view.Calls {
		vc, seen := out[c.Func]
		if !seen {
			vc = viewCall{defaults: map[string]string{}, descriptions: map[string]string{}}
			out[c.Func] = vc
			conflicts[c.Func] = map[string]bool{}
		}
		for _, a := range c.Args {
			val, ok := a.Value, true
			if a.Variable != "" {
				v := vars[a.Variable]
				if v.Description != "" {
					vc.descriptions[a.Name] = v.Description
				}
				ok = v.Default != nil
				if ok {
					val = *v.Default
				}
			}
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
	return out
}
