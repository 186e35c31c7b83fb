// Package testwait waits in tests for a condition, not for time.
package testwait

import (
	"testing"
	"time"
)

// Bound is how long Until waits before it fails: a bound that only turns
// a hang into a failure with a message, far beyond any machine's pace,
// never a timing assumption of the test.
const Bound = time.Minute

// Until returns once cond holds, polling it; it fails t, naming what it
// waited for, if cond does not hold within Bound.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", Bound, what)
		}
		time.Sleep(time.Millisecond)
	}
}
