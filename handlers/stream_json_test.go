package handlers_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

// bigRows is enough LET rows for a JSON answer to pass 256 KiB and stream.
const bigRows = 3000

// bigOptions let a JSON answer return bigRows rows.
func bigOptions(o *handlers.Options) { o.MaxRows = 2 * bigRows }

// TestJSONStreamsLargeAnswers: a JSON answer larger than its buffer goes
// out in chunks with 200, the verdict at the end of the document and in
// the trailer, every row there.
func TestJSONStreamsLargeAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows)}, BatchRows: 500}), bigOptions)
	resp := e.get(t, letRun, "")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %.500s", resp.status, resp.body)
	}
	if resp.header.Get("Content-Length") != "" || resp.trailer.Get(api.TrailerVerdict) != "pass" {
		t.Errorf("want a chunked answer with X-Pxgate-Verdict: pass as a trailer; got Content-Length %q, trailers %v",
			resp.header.Get("Content-Length"), resp.trailer)
	}
	got := resp.runResponse(t)
	if len(got.Tables) != 1 || len(got.Tables[0].Rows) != bigRows || got.Tables[0].RowCount != bigRows || !got.Verdict.Passed || got.Error != nil {
		t.Fatalf("got %d tables, verdict %+v, error %v", len(got.Tables), got.Verdict, got.Error)
	}
	if last := got.Tables[0].Rows[bigRows-1]["time_"]; last != letBase.Add((bigRows-1)*10*time.Second).Format("2006-01-02T15:04:05.000000000Z") {
		t.Errorf("last row's time_: got %v", last)
	}
}

// TestJSONFailsClosedAfterRows: a query that fails once a JSON answer
// streamed ends its document with the error and no verdict, and the
// trailers say fail; before any row went out, it is a problem answer.
func TestJSONFailsClosedAfterRows(t *testing.T) {
	t.Parallel()
	broken := func(after int) *env {
		return newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows)},
			BatchRows: 500, AbortAfter: after}), bigOptions)
	}
	resp := broken(5).get(t, letRun, "") // metadata, then 4 batches: ~180 KiB
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %.500s", resp.status, resp.body)
	}
	got := resp.runResponse(t)
	if got.Error == nil || got.Error.Type != api.ProblemPixieUnavailable || got.Verdict.Checks != nil {
		t.Fatalf("want the error and no verdict at the document's end; got error %+v, verdict %+v", got.Error, got.Verdict)
	}
	if resp.trailer.Get(api.TrailerVerdict) != "fail" || resp.trailer.Get(api.TrailerError) == "" {
		t.Errorf("trailers: got %v, want X-Pxgate-Verdict: fail and X-Pxgate-Error", resp.trailer)
	}
	if tb := got.Tables[0]; tb.RowCount != len(tb.Rows) || tb.RowCount == 0 || tb.RowCount == bigRows {
		t.Errorf("the table says %d rows and has %d (of %d)", tb.RowCount, len(tb.Rows), bigRows)
	}
	broken(1).get(t, letRun, "").problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
}

// TestJSONHeldForItsVerdict: with tolerances, a JSON answer of any size
// is held until the verdict, whose status it has.
func TestJSONHeldForItsVerdict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows)}, BatchRows: 500}), bigOptions)
	for expect, status := range map[string]int{"count()>0": http.StatusOK, "count()==0": http.StatusExpectationFailed} {
		resp := e.get(t, letRun+"?expect="+expect, "")
		if resp.status != status || resp.header.Get("Content-Length") != strconv.Itoa(len(resp.body)) {
			t.Errorf("expect=%s: status %d, Content-Length %q (body %d B); want %d with a Content-Length", expect, resp.status,
				resp.header.Get("Content-Length"), len(resp.body), status)
		}
		if got := resp.runResponse(t); len(got.Tables[0].Rows) != bigRows || got.Verdict.Passed != (status == http.StatusOK) {
			t.Errorf("expect=%s: %d rows, verdict %+v", expect, len(got.Tables[0].Rows), got.Verdict)
		}
	}
}

// TestJSONInterleavedTables: two tables whose batches interleave are each
// written whole, every row in order.
func TestJSONInterleavedTables(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows), letTable("other", 700)},
		BatchRows: 100}), bigOptions)
	got := e.get(t, letRun, "").runResponse(t)
	if len(got.Tables) != 2 {
		t.Fatalf("got %d tables, want 2", len(got.Tables))
	}
	for _, tb := range got.Tables {
		want := map[string]int{"output": bigRows, "other": 700}[tb.Name]
		if len(tb.Rows) != want || tb.RowCount != want || tb.TotalRows != want {
			t.Errorf("table %q: %d rows (row_count %d, total_rows %d), want %d", tb.Name, len(tb.Rows), tb.RowCount, tb.TotalRows, want)
			continue
		}
		for i, row := range tb.Rows {
			if row["time_"] != letBase.Add(time.Duration(i)*10*time.Second).Format("2006-01-02T15:04:05.000000000Z") {
				t.Errorf("table %q row %d out of order: %v", tb.Name, i, row["time_"])
				break
			}
		}
	}
}

// TestMemoryBudget: a run the memory budget cannot hold is refused whole
// with 503 and Retry-After, whether at its start or once its held answer
// outgrows the budget; a small one still runs.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows)}, BatchRows: 500}),
		bigOptions, func(o *handlers.Options) { o.AnswerMemory = 2<<20 + 88<<10 })
	for _, path := range []string{letRun + "?expect=count()>0", letRun + "?format=csv&expect=count()>0"} {
		resp := e.get(t, path, "")
		resp.problem(t, http.StatusServiceUnavailable, api.ProblemMemoryBudget)
		if resp.header.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1", path, resp.header.Get("Retry-After"))
		}
	}
	if resp := e.get(t, letRun+"?expect=count()>0&max_rows=10", ""); resp.status != http.StatusOK {
		t.Errorf("a small held answer: status %d: %.300s", resp.status, resp.body)
	}
	if resp := e.get(t, letRun+"?format=ndjson", ""); resp.status != http.StatusOK || resp.verdictOf() != "pass" {
		t.Errorf("a streamed answer: status %d, verdict %q", resp.status, resp.verdictOf())
	}
	tiny := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.AnswerMemory = 1 })
	tiny.get(t, letRun, "").problem(t, http.StatusServiceUnavailable, api.ProblemMemoryBudget)
}

// TestMemoryBudgetRefusesARecordedEnd: an answer kept whole before it is
// sent (a JSON answer recorded for the cache, a CSV held for its verdict)
// whose end the budget refuses once the query ended (the recorder leases
// what it keeps) is answered with the 503 refusal, and the history, the
// log line and the metrics say that 503, not the verdict's status that
// never went out.
func TestMemoryBudgetRefusesARecordedEnd(t *testing.T) {
	t.Parallel()
	// The run's base lease fits exactly; what the recorder keeps does not.
	tight := func(o *handlers.Options) { o.AnswerMemory = 2 << 20 }
	for _, tc := range []struct {
		name string
		env  *env
		path string
	}{
		{"cached JSON", newEnv(t, fakevizier.StaticHandler(letPlan()), withCache, tight), letRun},
		{"held CSV without rows", newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 0)}}), tight),
			letRun + "?format=csv&expect=count()>0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.env
			resp := e.get(t, tc.path, "")
			resp.problem(t, http.StatusServiceUnavailable, api.ProblemMemoryBudget)
			runs := e.runList(t, "")
			if len(runs) != 1 || runs[0].Status != http.StatusServiceUnavailable || runs[0].Error == nil || runs[0].Error.Type != api.ProblemMemoryBudget {
				t.Errorf("history: got %+v, want the run recorded as the 503 memory-budget refusal", runs)
			}
			if l := e.logLine(t, resp.response); l["status"] != float64(http.StatusServiceUnavailable) || l["written_status"] != nil {
				t.Errorf("log line %v, want status 503 as written", l)
			}
			route := map[string]string{"route": "/v1/scripts/*", "method": "GET"}
			if n := e.counter(t, "pxgate_http_requests_total", route, "503"); n != 1 {
				t.Errorf("pxgate_http_requests_total: %v counted as 503, want 1", n)
			}
		})
	}
}

// TestHeldCSVFailureIsAnsweredWithinTheBudget: a CSV held for its verdict
// whose query fails after rows is answered with that failure's problem
// (here 502), as its history records it, even when the rows held used the
// memory budget up: the rows are dropped, so their lease goes back, and
// the problem answer is no held answer. It was a 503 memory-budget
// refusal, written while the history, the log and the metrics said 502.
func TestHeldCSVFailureIsAnsweredWithinTheBudget(t *testing.T) {
	t.Parallel()
	const path = letRun + "?format=csv&expect=count()>0"
	// The bytes a held CSV of the first batch (4 rows) holds.
	rows := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 4)}})).get(t, path, "")
	if rows.status != http.StatusOK || len(rows.body) == 0 {
		t.Fatalf("4 rows held: got %d %s", rows.status, rows.body)
	}
	// The run's base lease and those rows fit exactly.
	tight := func(o *handlers.Options) { o.AnswerMemory = 2<<20 + int64(len(rows.body)) }
	if resp := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 4)}}), tight).get(t, path, ""); resp.status != http.StatusOK {
		t.Fatalf("the same rows within the tight budget: got %d %s, want them to fit", resp.status, resp.body)
	}
	// The stream breaks after the first batch.
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2}), tight)
	resp := e.get(t, path, "")
	resp.problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
	if runs := e.runList(t, ""); len(runs) != 1 || runs[0].Status != http.StatusBadGateway {
		t.Errorf("history: got %+v, want the run recorded as the 502 answered", runs)
	}
}

// TestRecordedFailureIsAnsweredAsRecorded: an answer kept whole before it
// is sent (a JSON answer recorded for the cache, a CSV held for its
// verdict) whose query fails after rows answers the status its history
// records, whatever the memory budget those rows left: a problem is no
// held answer, so the budget cannot turn it into a 503 refusal that the
// history, the log and the metrics do not say.
func TestRecordedFailureIsAnsweredAsRecorded(t *testing.T) {
	t.Parallel()
	// The stream breaks after the first batch (4 rows).
	broken := &fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2}
	for _, tc := range []struct {
		name, path string
		mods       []func(*handlers.Options)
	}{
		{"cached JSON", letRun, []func(*handlers.Options){withCache}},
		{"held CSV", letRun + "?format=csv&expect=count()>0", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Every budget from the run's base lease alone to room for
			// all it holds, in steps smaller than a problem answer.
			for extra := int64(0); extra <= 4<<10; extra += 64 {
				mods := append(slices.Clone(tc.mods), func(o *handlers.Options) { o.AnswerMemory = 2<<20 + extra })
				e := newEnv(t, fakevizier.StaticHandler(broken), mods...)
				resp := e.get(t, tc.path, "")
				runs := e.runList(t, "")
				if len(runs) != 1 || runs[0].Status != resp.status {
					t.Fatalf("budget 2 MiB + %d: answered %d %s, history %+v", extra, resp.status, resp.body, runs)
				}
			}
		})
	}
}
