package handlers

import "testing"

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg     string
		secrets []string
		want    string
	}{
		{`bad value "px-s3cr3t-token" for key`, []string{"px-s3cr3t-token"}, `bad value "<masked>" for key`},
		{"x=px-s3cr3t-tokenpx-s3cr3t-token", []string{"px-s3cr3t-token"}, "x=<masked><masked>"},
		// Short values: hidden only as words of their own.
		{"connection refused; line 12, column 1", []string{"1", "on"}, "connection refused; line 12, column <masked>"},
		{"session=on: mode on", []string{"on"}, "session=<masked>: mode <masked>"},
		{"1", []string{"1"}, "<masked>"},
		{"nothing here", []string{"abc"}, "nothing here"},
		// Longest first: a value containing another is hidden whole.
		{"k=s3cr3t-long and s3cr3t", []string{"s3cr3t-long", "s3cr3t"}, "k=<masked> and <masked>"},
	} {
		if got := redact(tc.msg, tc.secrets); got != tc.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tc.msg, tc.secrets, got, tc.want)
		}
	}
}
