package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeRunRequest: any body is either a RunRequest or a *RequestError
// naming what is wrong; never a panic. An accepted, valid request survives a
// round trip through JSON unchanged.
func FuzzDecodeRunRequest(f *testing.F) {
	for _, seed := range []string{
		`{"script": "import px\npx.display(px.DataFrame('http_events'))"}`,
		`{"script_name": "service_let", "args": {"service": "default/consumer"}, "max_rows": 5, "timeout": "30s"}`,
		`{"script": "x", "tolerances": [{"expect": "p99(latency_p99) < 300ms"}, {"func": "percentile_should_be_below", "arguments": {"column": "c", "treshold": 1}}]}`,
		`{"script": "x", "fail_status": 503, "tables": ["output"]}`,
		`{"script": 1}`, `{"script": "x"} {}`, `[]`, `null`, ``, `{"max_rows": -1}`, `{"tolerances": [{"colum": "x"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRunRequest(bytes.NewReader(body))
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Message == "" {
				t.Fatalf("decode error %T %q is not a RequestError with a message", err, err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Message == "" {
				t.Fatalf("validation error %T %q is not a RequestError with a message", err, err)
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := DecodeRunRequest(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("a valid request does not decode after a round trip: %v\n%s", err, again)
		}
		again2, err := json.Marshal(back)
		if err != nil || !bytes.Equal(again, again2) {
			t.Fatalf("round trip changed the request:\n%s\n%s", again, again2)
		}
	})
}
