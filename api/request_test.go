package api_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
)

func TestDecodeRunRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		body      string
		wantField string
		wantMsg   string // substring of the error; "" means success
	}{
		{"a full request decodes", `{"script": "import px", "func": "f", "args": {"a": "1"}, "cluster_id": "c", "tables": ["output"],
			"max_rows": 10, "timeout": "5s", "tolerances": [{"expect": "count() > 0"}], "fail_status": 503}`, "", ""},
		{"an unknown field is named", `{"script": "x", "scirpt": "y"}`, "scirpt", `unknown field "scirpt"`},
		{"an unknown field in a tolerance names the tolerance", `{"script": "x", "tolerances": [{}, {"colum": "a"}]}`, "tolerances[1].colum", `unknown field "colum" in tolerances[1]`},
		{"a wrong type names the field", `{"script": "x", "max_rows": "10"}`, "max_rows", `wrong type at field "max_rows": got string, want an integer`},
		{"a fraction for an integer is a wrong type", `{"script": "x", "max_rows": 1.5}`, "max_rows", `wrong type at field "max_rows"`},
		{"a wrong type in a tolerance names its index", `{"script": "x", "tolerances": [{"below": "300ms"}]}`, "tolerances[0].below", `wrong type at field "tolerances[0].below": got string, want a number`},
		{"a non-string argument is a wrong type", `{"script": "x", "func": "f", "args": {"n": 5}}`, "args", `wrong type at field "args"`},
		{"trailing data is refused", `{"script": "x"} {}`, "", "unexpected data after the JSON object"},
		{"trailing garbage is refused", `{"script": "x"} garbage`, "", "unexpected data after the JSON object"},
		{"an array body is refused", `[{"script": "x"}]`, "", "must be a JSON object, not array"},
		{"an empty body is refused", ``, "", "the request body is empty"},
		{"a truncated body is refused", `{"script": "x"`, "", "ends early"},
		{"malformed JSON says where", `{"script" "x"}`, "", "malformed JSON at byte"},
		{"trailing whitespace is fine", "{\"script\": \"x\"}\n\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := api.DecodeRunRequest(strings.NewReader(tc.body))
			if tc.wantMsg == "" {
				if err != nil || req == nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			var re *api.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("got %T %v, want a *api.RequestError", err, err)
			}
			if re.Field != tc.wantField || !strings.Contains(re.Message, tc.wantMsg) {
				t.Errorf("got field %q message %q, want field %q message containing %q", re.Field, re.Message, tc.wantField, tc.wantMsg)
			}
			if err.Error() != re.Message {
				t.Errorf("Error(): got %q, want the message %q", err.Error(), re.Message)
			}
		})
	}
}

// TestDecodeRunRequestTooLarge: a body cut by http.MaxBytesReader keeps its
// cause, so the handler can answer 413.
func TestDecodeRunRequestTooLarge(t *testing.T) {
	t.Parallel()
	body := io.NopCloser(strings.NewReader(`{"script": "` + strings.Repeat("x", 100) + `"}`))
	_, err := api.DecodeRunRequest(http.MaxBytesReader(httptest.NewRecorder(), body, 50))
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 50 {
		t.Errorf("got %v, want a *http.MaxBytesError with limit 50", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ptr := func(i int) *int { return &i }
	for _, tc := range []struct {
		name      string
		req       api.RunRequest
		wantField string // "" means valid
	}{
		{"inline PxL is valid", api.RunRequest{Script: "import px"}, ""},
		{"a catalog script with args is valid", api.RunRequest{ScriptName: "px/service_let", Args: map[string]string{"service": "a"}}, ""},
		{"a function call with args is valid", api.RunRequest{Script: "x", Func: "f", Args: map[string]string{"a": "1"}}, ""},
		{"every option at its bounds is valid", api.RunRequest{Script: "x", Timeout: "1ns", MaxRows: ptr(1), FailStatus: ptr(599), Tables: []string{"output"}}, ""},
		{"nothing to run is refused", api.RunRequest{}, "script"},
		{"script and script_name together are refused", api.RunRequest{Script: "x", ScriptName: "y"}, "script_name"},
		{"a blank script is refused", api.RunRequest{Script: " \n\t"}, "script"},
		{"func with script_name picks a function of the catalog script", api.RunRequest{ScriptName: "y", Func: "f", Args: map[string]string{"a": "1"}}, ""},
		{"args for an inline script without func are refused", api.RunRequest{Script: "x", Args: map[string]string{"a": "1"}}, "args"},
		{"an empty argument name is refused", api.RunRequest{Script: "x", Func: "f", Args: map[string]string{"": "1"}}, "args"},
		{"a timeout that is not a duration is refused", api.RunRequest{Script: "x", Timeout: "30"}, "timeout"},
		{"a zero timeout is refused", api.RunRequest{Script: "x", Timeout: "0s"}, "timeout"},
		{"a negative timeout is refused", api.RunRequest{Script: "x", Timeout: "-1s"}, "timeout"},
		{"max_rows 0 is refused", api.RunRequest{Script: "x", MaxRows: ptr(0)}, "max_rows"},
		{"a 2xx fail_status is refused", api.RunRequest{Script: "x", FailStatus: ptr(204)}, "fail_status"},
		{"a fail_status above 599 is refused", api.RunRequest{Script: "x", FailStatus: ptr(600)}, "fail_status"},
		{"fail_status 499 (a caller that left) is refused", api.RunRequest{Script: "x", FailStatus: ptr(499)}, "fail_status"},
		{"an empty table name is refused", api.RunRequest{Script: "x", Tables: []string{"a", ""}}, "tables[1]"},
		{"the first problem wins", api.RunRequest{Script: "x", Timeout: "bad", MaxRows: ptr(0)}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.req.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			var re *api.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *api.RequestError", err)
			}
			if re.Field != tc.wantField {
				t.Errorf("field: got %q, want %q (%s)", re.Field, tc.wantField, re.Message)
			}
			if !strings.Contains(re.Message, strings.Split(tc.wantField, "[")[0]) {
				t.Errorf("message %q does not name the field %q", re.Message, tc.wantField)
			}
		})
	}
}

func TestTimeoutDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"1m30s", 90 * time.Second},
		{"200ms", 200 * time.Millisecond},
		{"nonsense", 0},
	} {
		r := api.RunRequest{Timeout: tc.in}
		if got := r.TimeoutDuration(); got != tc.want {
			t.Errorf("TimeoutDuration(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// A timeout Go's parser refuses only because it overflows is called too
// large, not "not a duration".
func TestTimeoutWording(t *testing.T) {
	for timeout, want := range map[string]string{
		"9999999h":    "is too large",
		"1e9h":        "is not a duration",
		"30":          "is not a duration",
		"s":           "is not a duration",
		".5h3000000h": "is too large",
	} {
		err := (&api.RunRequest{Script: "x", Timeout: timeout}).Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("timeout %q: got %v, want %q", timeout, err, want)
		}
	}
}
