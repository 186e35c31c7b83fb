package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

// largePlan is a LET table of n rows in batches of 8192.
func largePlan(n int) *fakevizier.Plan {
	return &fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", n)}, BatchRows: 8192}
}

// largeOptions raise the streaming row limit above n.
func largeOptions(n int) func(*handlers.Options) {
	return func(o *handlers.Options) {
		o.MaxStreamRows = 2 * n
		o.MaxRows = 2 * n // JSON without tolerances streams too
		o.MaxTimeout = 5 * time.Minute
		o.DefaultTimeout = 5 * time.Minute
	}
}

// fakeRowsEnv makes TestFakeVizierProcess serve a LET table of that many
// rows.
const fakeRowsEnv = "PXGATE_TEST_FAKE_VIZIER_ROWS"

// TestFakeVizierProcess is not a test: BenchmarkStream1M runs the test
// binary again with fakeRowsEnv set, so that the fake and its million-row
// table live in another process and the benchmark's heap is the
// gateway's. It prints the fake's address and serves until stdin closes.
func TestFakeVizierProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(fakeRowsEnv))
	if err != nil {
		t.Skip("the helper process of BenchmarkStream1M")
	}
	fake, err := fakevizier.Start(fakevizier.Options{APIKey: testAPIKey, ClusterID: testClusterID, Handler: fakevizier.StaticHandler(largePlan(n))})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fmt.Printf("ADDR %s\n", fake.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startFakeProcess runs TestFakeVizierProcess serving n rows and returns
// its address; the process ends with the benchmark.
func startFakeProcess(b *testing.B, n int) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeVizierProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", fakeRowsEnv, n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return addr
		}
	}
	b.Fatalf("the fake Vizier process printed no address: %v", sc.Err())
	return ""
}

// largePath streams the LET script with tolerances over every row.
// largePath asks for n rows; NDJSON with tolerances over every row, CSV
// and JSON without (with tolerances they are held until the verdict, see
// serveHeld, so they would not stream).
func largePath(format string, n int) string {
	p := fmt.Sprintf("%s?format=%s&max_rows=%d", letRun, format, n)
	if format == "ndjson" {
		p += fmt.Sprintf("&expect=p99(latency_p99)%%3C300ms&expect=count()==%d", n)
	}
	return p
}

// getOK sends a GET of path and returns the answer, whose body the caller
// reads and closes; a status other than 200 fails the test.
func getOK(t testing.TB, e *env, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("status %d: %.500s", resp.StatusCode, b)
	}
	return resp
}

// streamCount requests path and counts the answer's lines as they come,
// in constant memory; it returns the line count and the last line.
func streamCount(t testing.TB, e *env, path string) (lines int, last []byte, trailer http.Header) {
	t.Helper()
	resp := getOK(t, e, path)
	defer resp.Body.Close()
	rd := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := rd.ReadSlice('\n')
		if len(line) > 0 {
			lines++
			last = append(last[:0], line...)
		}
		if err == bufio.ErrBufferFull {
			lines-- // the rest of the line follows
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return lines, last, resp.Trailer
}

// jsonCount requests path, a JSON answer without tolerances, and counts
// its rows as they come, in constant memory; it returns the row count and
// the answer's last bytes.
func jsonCount(t testing.TB, e *env, path string) (rows int, tail []byte, trailer http.Header) {
	t.Helper()
	resp := getOK(t, e, path)
	defer resp.Body.Close()
	row := []byte(`{"time_":`)
	buf := make([]byte, 64<<10)
	// The last len(row)-1 bytes of a read are kept before the next: a
	// row's start may straddle reads, and fewer bytes than a row's start
	// are never counted twice.
	keep := 0
	for {
		n, err := resp.Body.Read(buf[keep:])
		chunk := buf[:keep+n]
		rows += bytes.Count(chunk, row)
		tail = append(tail, chunk[keep:]...)
		tail = tail[:copy(tail, tail[max(0, len(tail)-4096):])]
		keep = copy(buf, chunk[max(0, len(chunk)-(len(row)-1)):])
		if err == io.EOF {
			return rows, tail, resp.Trailer
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamLargeResult streams a million rows (fewer under -race) as
// NDJSON, with tolerances over every row, as CSV and as JSON.
func TestStreamLargeResult(t *testing.T) {
	t.Parallel()
	n := largeRows
	e := newEnv(t, fakevizier.StaticHandler(largePlan(n)), largeOptions(n))
	t.Run("ndjson", func(t *testing.T) {
		t.Parallel()
		lines, last, trailer := streamCount(t, e, largePath("ndjson", n))
		if lines != n+1 {
			t.Errorf("lines: got %d, want %d rows + the final line", lines, n)
		}
		var end api.StreamEnd
		if err := json.Unmarshal(last, &end); err != nil {
			t.Fatalf("final line %q: %v", last, err)
		}
		if end.Verdict == nil || !end.Verdict.Passed || len(end.Verdict.Checks) != 2 {
			t.Fatalf("verdict: got %+v, want two passing checks", end.Verdict)
		}
		for _, c := range end.Verdict.Checks {
			if c.RowsEvaluated != n {
				t.Errorf("check %q evaluated %d rows, want %d", c.Name, c.RowsEvaluated, n)
			}
		}
		if end.Tables[0].RowCount != n || end.Tables[0].TotalRows != n || end.Tables[0].Truncated {
			t.Errorf("table: got %+v", end.Tables[0])
		}
		if trailer.Get(api.TrailerVerdict) != "pass" {
			t.Errorf("trailers: got %v", trailer)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		rows, tail, trailer := jsonCount(t, e, largePath("json", n))
		if rows != n {
			t.Errorf("rows: got %d, want %d", rows, n)
		}
		if want := fmt.Sprintf(`],"row_count":%d,"total_rows":%d,"truncated":false}],`, n, n); !bytes.Contains(tail, []byte(want)) ||
			!bytes.Contains(tail, []byte(`"verdict":{"passed":true,"checks":[]}`)) {
			t.Errorf("the answer's end: got %q, want the table's counts and a passing verdict", tail)
		}
		if trailer.Get(api.TrailerVerdict) != "pass" {
			t.Errorf("trailers: got %v", trailer)
		}
	})
	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		lines, last, trailer := streamCount(t, e, largePath("csv", n))
		if lines != n+1 {
			t.Errorf("lines: got %d, want a header and %d rows", lines, n)
		}
		if !bytes.HasPrefix(last, []byte("2026-")) {
			t.Errorf("last line: got %q", last)
		}
		if trailer.Get(api.TrailerVerdict) != "pass" {
			t.Errorf("trailers: got %v", trailer)
		}
	})
}

// BenchmarkStream1M streams a million LET rows through NDJSON (with two
// tolerances over every row), CSV and JSON, and reports rows/s and the peak heap in
// use (HeapInuse sampled every 10 ms: the gateway, its Pixie client and
// the HTTP client counting lines; the fake Vizier runs in another process).
func BenchmarkStream1M(b *testing.B) {
	const n = 1_000_000
	e := newEnvAt(b, startFakeProcess(b, n), testAPIKey, largeOptions(n))
	for _, format := range []string{"ndjson", "csv", "json"} {
		b.Run(format, func(b *testing.B) {
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				var ms runtime.MemStats
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			})
			for b.Loop() {
				count, want := streamCount, n+1
				if format == "json" {
					count, want = jsonCount, n
				}
				if got, _, _ := count(b, e, largePath(format, n)); got != want {
					b.Fatalf("rows or lines: got %d, want %d", got, want)
				}
			}
			close(stop)
			wg.Wait()
			const mib = 1 << 20
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak.Load())/mib, "peak-heap-MiB")
			b.ReportMetric(float64(before.HeapInuse)/mib, "heap-before-MiB")
		})
	}
}
