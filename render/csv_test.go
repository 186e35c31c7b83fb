package render

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestAppendFieldQuotesAsEncodingCSV: appendField writes every field as
// encoding/csv's Writer does.
func TestAppendFieldQuotesAsEncodingCSV(t *testing.T) {
	t.Parallel()
	for _, f := range []string{
		"", "plain", "a,b", `say "hi"`, `"`, `""`, "line\nbreak", "cr\rhere", " lead", "\tlead", "\u00a0nbsp", "\u3000ideo",
		`\.`, `\.x`, "trail ", "é,ü", "\xff", "'=1+2", "-5",
	} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		if err := w.Write([]string{f}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := string(appendField(nil, []byte(f))) + "\n"; got != want.String() {
			t.Errorf("appendField(%q) = %q, encoding/csv writes %q", f, got, want.String())
		}
	}
}
