//go:build race

package render

// raceEnabled: the race detector slows the float differential tests about
// tenfold, so they check fewer random values under it.
const raceEnabled = true
