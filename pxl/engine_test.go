package pxl_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// testNow is the fixed clock of the golden tests.
var testNow = time.Unix(1_700_000_000, 0)

// UPIDs of the fixed data: u5 is unknown to the metadata.
var (
	u1 = pxl.U128{High: 1<<32 | 101, Low: 11}
	u2 = pxl.U128{High: 2<<32 | 102, Low: 12}
	u3 = pxl.U128{High: 1<<32 | 201, Low: 13}
	u4 = pxl.U128{High: 3<<32 | 301, Low: 14}
	u5 = pxl.U128{High: 3<<32 | 999, Low: 15}
)

// fixedSource is a hand-built source: ten http_events rows, 5 s apart
// ending 5 s before testNow, and the metadata of five processes.
//
//	row ago upid role path     status latency size remote
//	0   50  u1   2    /a       200    10ms    100  1.1.1.1
//	1   45  u1   2    /a       500    20ms    200  1.1.1.2
//	2   40  u2   2    /a       200    30ms    300  1.1.1.1
//	3   35  u3   2    /b       200    40ms    400  -
//	4   30  u3   1    /b       404    50ms    500  1.1.1.3
//	5   25  u4   2    /x       200    60ms    600  1.1.1.1
//	6   20  u5   2    /healthz 200    70ms    700  1.1.1.1
//	7   15  u1   2    /a       200    80ms    800  1.1.1.4
//	8   10  u3   2    /b       503    90ms    900  1.1.1.5
//	9    5  u2   2    /a       200    100ms   1000 1.1.1.1
func fixedSource() *pxl.MemSource {
	upids := []pxl.U128{u1, u1, u2, u3, u3, u4, u5, u1, u3, u2}
	roles := []int64{2, 2, 2, 2, 1, 2, 2, 2, 2, 2}
	paths := []string{"/a", "/a", "/a", "/b", "/b", "/x", "/healthz", "/a", "/b", "/a"}
	status := []int64{200, 500, 200, 200, 404, 200, 200, 200, 503, 200}
	remote := []string{"1.1.1.1", "1.1.1.2", "1.1.1.1", "-", "1.1.1.3", "1.1.1.1", "1.1.1.1", "1.1.1.4", "1.1.1.5", "1.1.1.1"}
	var times, lat, size []int64
	for i := range 10 {
		times = append(times, testNow.Add(-time.Duration(50-5*i)*time.Second).UnixNano())
		lat = append(lat, int64(i+1)*10_000_000)
		size = append(size, int64(i+1)*100)
	}
	col := func(name string, t pxl.DataType, sem pxl.SemanticType, v pxl.Vector) pxl.Column {
		return pxl.NewColumn(pxl.ColumnInfo{Name: name, Type: t, Semantic: sem}, v)
	}
	http := &pxl.Table{Name: "http_events", Columns: []pxl.Column{
		col("time_", pxl.Time64, pxl.STNone, pxl.Vector{Ints: times}),
		col("upid", pxl.UInt128, pxl.STUPID, pxl.Vector{U128s: upids}),
		col("remote_addr", pxl.String, pxl.STIPAddress, pxl.Vector{Strs: remote}),
		col("trace_role", pxl.Int64, pxl.STNone, pxl.Vector{Ints: roles}),
		col("req_path", pxl.String, pxl.STNone, pxl.Vector{Strs: paths}),
		col("resp_status", pxl.Int64, pxl.STHTTPRespStatus, pxl.Vector{Ints: status}),
		col("resp_body_size", pxl.Int64, pxl.STBytes, pxl.Vector{Ints: size}),
		col("latency", pxl.Int64, pxl.STDurationNS, pxl.Vector{Ints: lat}),
	}}
	pods := []*pxl.Pod{
		{ID: "id-a1", Name: "a-pod-1", Namespace: "default", Node: "n1", IP: "10.0.0.1", Services: []string{"a"}},
		{ID: "id-a2", Name: "a-pod-2", Namespace: "default", Node: "n2", IP: "10.0.0.2", Services: []string{"a"}},
		{ID: "id-b1", Name: "b-pod-1", Namespace: "default", Node: "n1", IP: "10.0.0.3", Services: []string{"b", "c"}},
		{ID: "id-x", Name: "x-pod", Namespace: "ns2", Node: "n3", IP: "10.0.0.4", Services: []string{"x"}},
	}
	procs := []*pxl.Process{
		{UPID: u1, PodID: "id-a1", ContainerName: "a-ctr", Cmdline: "/a"},
		{UPID: u2, PodID: "id-a2", ContainerName: "a-ctr", Cmdline: "/a"},
		{UPID: u3, PodID: "id-b1", ContainerName: "b-ctr", Cmdline: "/b"},
		{UPID: u4, PodID: "id-x", ContainerName: "x-ctr", Cmdline: "/x"},
	}
	return &pxl.MemSource{Clock: testNow, Tables: map[string]*pxl.Table{"http_events": http}, Meta: pxl.NewMetadata(pods, procs)}
}

// render prints a table: a header of name:TYPE:SEMANTIC, then one line per
// row (strings quoted, times relative to testNow in seconds).
func render(t *pxl.Table) string {
	var b strings.Builder
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%s:%s", c.Name, c.Type, strings.TrimPrefix(c.Semantic.String(), "ST_"))
	}
	b.WriteByte('\n')
	for r := range t.NumRows() {
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch c.Type {
			case pxl.Int64:
				b.WriteString(strconv.FormatInt(c.Ints[r], 10))
			case pxl.Time64:
				fmt.Fprintf(&b, "now%+ds", (c.Ints[r]-testNow.UnixNano())/1e9)
			case pxl.Float64:
				b.WriteString(strconv.FormatFloat(c.Floats[r], 'g', -1, 64))
			case pxl.String:
				b.WriteString(strconv.Quote(c.Strs[r]))
			case pxl.Boolean:
				b.WriteString(strconv.FormatBool(c.Bools[r]))
			case pxl.UInt128:
				b.WriteString(c.U128s[r].String())
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func run(t *testing.T, script string, funcs ...pxl.FuncCall) *pxl.Result {
	t.Helper()
	res, err := pxl.NewEngine(fixedSource()).Execute(context.Background(), script, funcs)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return res
}

func checkTable(t *testing.T, res *pxl.Result, name, want string) {
	t.Helper()
	tb := res.Table(name)
	if tb == nil {
		var names []string
		for _, x := range res.Tables {
			names = append(names, x.Name)
		}
		t.Fatalf("no table %q (tables: %v)", name, names)
	}
	if got := render(tb); got != strings.TrimLeft(want, "\n") {
		t.Errorf("table %s:\n got:\n%s\nwant:\n%s", name, got, strings.TrimLeft(want, "\n"))
	}
}

func TestFilterGroupbyAgg(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame(table='http_events', start_time='-60s')
df = df[df.trace_role == 2]
df.service = df.ctx['service']
df.failure = df.resp_status >= 400
df = df.groupby('service').agg(
    n=('latency', px.count),
    lat_sum=('latency', px.sum),
    lat_mean=('latency', px.mean),
    err=('failure', px.mean),
    lo=('latency', px.min),
    hi=('latency', px.max),
    bytes=('resp_body_size', px.sum),
)
px.display(df, 'by_service')
`)
	checkTable(t, res, "by_service", `
service:STRING:SERVICE_NAME n:INT64:NONE lat_sum:INT64:DURATION_NS lat_mean:FLOAT64:DURATION_NS err:FLOAT64:NONE lo:INT64:DURATION_NS hi:INT64:DURATION_NS bytes:INT64:BYTES
"default/a" 5 240000000 4.8e+07 0.2 10000000 100000000 2400
"[\"default/b\",\"default/c\"]" 2 130000000 6.5e+07 0.5 40000000 90000000 1300
"ns2/x" 1 60000000 6e+07 0 60000000 60000000 600
"" 1 70000000 7e+07 0 70000000 70000000 700
`)
	if len(res.Tables) != 1 {
		t.Errorf("%d tables, want 1", len(res.Tables))
	}
}

func TestGroupbySeveralKeysAndWholeFrameAgg(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df.ok = df.resp_status < 400
g = df.groupby(['req_path', 'ok']).agg(n=('latency', px.count), any_role=('trace_role', px.any))
px.display(g, 'g')
px.display(df.agg(n=('latency', px.count), mx=('time_', px.max)), 'all')
`)
	checkTable(t, res, "g", `
req_path:STRING:NONE ok:BOOLEAN:NONE n:INT64:NONE any_role:INT64:NONE
"/a" true 4 2
"/a" false 1 2
"/b" true 1 2
"/b" false 2 1
"/x" true 1 2
"/healthz" true 1 2
`)
	checkTable(t, res, "all", `
n:INT64:NONE mx:TIME64NS:NONE
10 now-5s
`)
}

func TestMerge(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df.pod = df.ctx['pod']
a = df.groupby('pod').agg(n=('latency', px.count))
b = df[df.resp_status >= 400].groupby('pod').agg(errors=('latency', px.count))
inner = a.merge(b, how='inner', left_on='pod', right_on='pod', suffixes=['', '_err'])
px.display(inner, 'inner')
left = a.merge(b, how='left', left_on=['pod'], right_on=['pod'], suffixes=['', '_err'])
px.display(left.drop(['pod_err']), 'left')
outer = b.merge(a[a.n <= 2], how='outer', left_on='pod', right_on='pod')
px.display(outer, 'outer')
`)
	checkTable(t, res, "inner", `
pod:STRING:POD_NAME n:INT64:NONE pod_err:STRING:POD_NAME errors:INT64:NONE
"default/a-pod-1" 3 "default/a-pod-1" 1
"default/b-pod-1" 3 "default/b-pod-1" 2
`)
	checkTable(t, res, "left", `
pod:STRING:POD_NAME n:INT64:NONE errors:INT64:NONE
"default/a-pod-1" 3 1
"default/a-pod-2" 2 0
"default/b-pod-1" 3 2
"ns2/x-pod" 1 0
"" 1 0
`)
	checkTable(t, res, "outer", `
pod_x:STRING:POD_NAME errors:INT64:NONE pod_y:STRING:POD_NAME n:INT64:NONE
"default/a-pod-1" 1 "" 0
"default/b-pod-1" 2 "" 0
"" 0 "default/a-pod-2" 2
"" 0 "ns2/x-pod" 1
"" 0 "" 1
`)
}

func TestCtxLookups(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s', select=['time_', 'upid'])
df = df.groupby('upid').agg(n=('time_', px.count))
df.service = df.ctx['service']
df.pod = df.ctx['pod']
df.namespace = df.ctx['namespace']
df.node = df.ctx['node']
df.pid = df.ctx['pid']
df.container = df.ctx['container']
df.in_c = px.has_service_name(df.service, 'default/c')
df.pod_name = px.upid_to_pod_name(df.upid)
df.pod_id = px.upid_to_pod_id(df.upid)
df.back = px.pod_id_to_pod_name(df.pod_id)
px.display(df.drop(columns=['upid', 'pod_id']), 'ctx')
`)
	checkTable(t, res, "ctx", `
n:INT64:NONE service:STRING:SERVICE_NAME pod:STRING:POD_NAME namespace:STRING:NAMESPACE_NAME node:STRING:NODE_NAME pid:INT64:NONE container:STRING:CONTAINER_NAME in_c:BOOLEAN:NONE pod_name:STRING:POD_NAME back:STRING:POD_NAME
3 "default/a" "default/a-pod-1" "default" "n1" 101 "a-ctr" false "default/a-pod-1" "default/a-pod-1"
2 "default/a" "default/a-pod-2" "default" "n2" 102 "a-ctr" false "default/a-pod-2" "default/a-pod-2"
3 "[\"default/b\",\"default/c\"]" "default/b-pod-1" "default" "n1" 201 "b-ctr" true "default/b-pod-1" "default/b-pod-1"
1 "ns2/x" "ns2/x-pod" "ns2" "n3" 301 "x-ctr" false "ns2/x-pod" "ns2/x-pod"
1 "" "" "" "" 999 "" false "" ""
`)
}

func TestQuantilesAndPluck(t *testing.T) {
	// Latencies of default/a: 10, 20, 30, 80, 100 ms. With linear
	// interpolation between closest ranks (h = q*(n-1)): p01 = 10.4 ms,
	// p10 = 14, p25 = 20, p50 = 30, p75 = 80, p90 = 92, p99 = 99.2 ms.
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df = df[df.trace_role == 2]
df.service = df.ctx['service']
df = df[df.service == 'default/a']
df = df.agg(q=('latency', px.quantiles), cnt=('latency', px.count))
df.p50 = px.pluck_float64(df.q, 'p50')
df.p99 = px.DurationNanos(px.floor(px.pluck_float64(df.q, 'p99')))
df.missing = px.pluck_float64(df.q, 'p42')
px.display(df, 'q')
`)
	checkTable(t, res, "q", `
q:STRING:DURATION_NS_QUANTILES cnt:INT64:NONE p50:FLOAT64:NONE p99:INT64:DURATION_NS missing:FLOAT64:NONE
"{\"p01\":10400000,\"p10\":14000000,\"p25\":20000000,\"p50\":30000000,\"p75\":80000000,\"p90\":92000000,\"p99\":99200000}" 5 3e+07 99200000 0
`)
}

func TestBin(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df.timestamp = px.bin(df.time_, px.seconds(20))
df = df.groupby('timestamp').agg(n=('latency', px.count), lat=('latency', px.max))
px.display(df)
`)
	checkTable(t, res, "output", `
timestamp:TIME64NS:NONE n:INT64:NONE lat:INT64:DURATION_NS
now-60s 2 20000000
now-40s 4 60000000
now-20s 4 100000000
`)
}

func TestSelectArithmeticHeadAppend(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s', select=['latency', 'resp_status'])
df.kind = px.select(df.resp_status >= 500, 'server', px.select(df.resp_status >= 400, 'client', 'ok'))
df.slow = px.select(df.latency > 25 * 1000 * 1000, df.latency, 0)
df.ratio = df.latency / 10000000
df.ms = df.latency // 1000000
df['neg'] = -df.ms + 1
df = df[['resp_status', 'kind', 'slow', 'ratio', 'ms', 'neg']].head(5)
px.display(df, 'sel')
px.display(df.head(2).append(df.head(1)), 'app')
`)
	checkTable(t, res, "sel", `
resp_status:INT64:HTTP_RESP_STATUS kind:STRING:NONE slow:INT64:DURATION_NS ratio:FLOAT64:DURATION_NS ms:INT64:DURATION_NS neg:INT64:DURATION_NS
200 "ok" 0 1 10 -9
500 "server" 0 2 20 -19
200 "ok" 30000000 3 30 -29
200 "ok" 40000000 4 40 -39
404 "client" 50000000 5 50 -49
`)
	checkTable(t, res, "app", `
resp_status:INT64:HTTP_RESP_STATUS kind:STRING:NONE slow:INT64:DURATION_NS ratio:FLOAT64:DURATION_NS ms:INT64:DURATION_NS neg:INT64:DURATION_NS
200 "ok" 0 1 10 -9
500 "server" 0 2 20 -19
200 "ok" 0 1 10 -9
`)
}

func TestTimeRangesAndBooleans(t *testing.T) {
	res := run(t, `
import px
start = px.now() - px.seconds(22)
df = px.DataFrame('http_events', start_time=start, end_time='-9s')
df = df[not (df.req_path == '/healthz') and (df.trace_role == 2 or df.resp_status == 404)]
px.display(df[['time_', 'req_path']], 'recent')
px.display(px.DataFrame('http_events', start_time='-1m30s', end_time=px.now() - px.parse_duration('45s')), 'old')
`)
	checkTable(t, res, "recent", `
time_:TIME64NS:NONE req_path:STRING:NONE
now-15s "/a"
now-10s "/b"
`)
	if n := res.Table("old").NumRows(); n != 1 {
		t.Errorf("old: %d rows, want 1 ([90 s ago, 45 s ago) holds the row of 50 s ago)", n)
	}
}

func TestExecFuncsWithArgs(t *testing.T) {
	script := `
import px

def errors(start_time: str, service: px.Service, min_status: int, limit: int = 10):
    ''' Errors of a service.

    @service: the service.
    '''
    df = px.DataFrame('http_events', start_time=start_time)
    df.service = df.ctx['service']
    df = df[px.has_service_name(df.service, service) and df.resp_status >= min_status]
    return df[['resp_status', 'latency']].head(limit)

px.display(px.DataFrame('http_events'), 'ignored')
`
	res := run(t, script, pxl.FuncCall{Name: "errors", OutputPrefix: "errs", Args: []pxl.FuncArg{
		{Name: "start_time", Value: "-60s"}, {Name: "service", Value: "default/b"}, {Name: "min_status", Value: "500"},
	}})
	if len(res.Tables) != 1 {
		t.Fatalf("%d tables, want only errs", len(res.Tables))
	}
	checkTable(t, res, "errs", `
resp_status:INT64:HTTP_RESP_STATUS latency:INT64:DURATION_NS
503 90000000
`)
}

func TestExecFuncsListReturn(t *testing.T) {
	script := `
import px

def two(n: int, ratio: float, on: bool):
    df = px.DataFrame('http_events', start_time='-60s', select=['latency'])
    df.scaled = df.latency * ratio
    df.on = on
    return [df.head(n), df.agg(total=('latency', px.sum))]

px.display(px.DataFrame('http_events'))
`
	res := run(t, script, pxl.FuncCall{Name: "two", OutputPrefix: "out", Args: []pxl.FuncArg{
		{Name: "n", Value: "2"}, {Name: "ratio", Value: "0.5"}, {Name: "on", Value: "true"},
	}})
	if len(res.Tables) != 2 {
		t.Fatalf("%d tables, want out[0] and out[1]", len(res.Tables))
	}
	checkTable(t, res, "out[0]", `
latency:INT64:DURATION_NS scaled:FLOAT64:DURATION_NS on:BOOLEAN:NONE
10000000 5e+06 true
20000000 1e+07 true
`)
	checkTable(t, res, "out[1]", `
total:INT64:DURATION_NS
550000000
`)
}

func TestMissingCommaBetweenKeywordArgs(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df = df.agg(n=('latency', px.count)
            mx=('latency', px.max)  # a comment
            mn=('latency', px.min))
px.display(df, 'o')
`)
	checkTable(t, res, "o", `
n:INT64:NONE mx:INT64:DURATION_NS mn:INT64:DURATION_NS
10 100000000 10000000
`)
}

func TestPythonLevelValues(t *testing.T) {
	res := run(t, `
import px
ms = 1000 * 1000
limits = [5 * ms, 50 * ms]
cfg = {'path': '/a'}
half = 3 / 2
def threshold(i):
    if i > 0:
        return limits[i]
    else:
        return limits[0]
a, b = 1, 2
df = px.DataFrame('http_events', start_time='-60s')
df = df[df.latency > threshold(b - a) and df.req_path == cfg['path']]
df.half = half
df.label = 'p' + str(int(half * 2))
px.display(df[['latency', 'half', 'label']])
`)
	checkTable(t, res, "output", `
latency:INT64:DURATION_NS half:FLOAT64:NONE label:STRING:NONE
80000000 1.5 "p3"
100000000 1.5 "p3"
`)
}

func TestNoOutputRowsStillHasSchema(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
df = df[df.resp_status == 999]
px.display(df.groupby('req_path').agg(n=('latency', px.count)), 'empty')
`)
	checkTable(t, res, "empty", `
req_path:STRING:NONE n:INT64:NONE
`)
}

func TestDisplayDefaultsAndDuplicates(t *testing.T) {
	res := run(t, "import px\npx.display(px.DataFrame('http_events', select=['latency']).head(1))\n")
	checkTable(t, res, "output", "\nlatency:INT64:DURATION_NS\n10000000\n")
	_, err := pxl.NewEngine(fixedSource()).Execute(context.Background(),
		"import px\ndf = px.DataFrame('http_events')\npx.display(df, 'a')\npx.display(df, 'a')\n", nil)
	wantCompileError(t, err, 4, 1, "two output tables named 'a'")
}

func TestMaxOutputRows(t *testing.T) {
	e := pxl.NewEngine(fixedSource())
	e.SetMaxOutputRows(3)
	res, err := e.Execute(context.Background(), "import px\npx.display(px.DataFrame('http_events'))\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Tables[0].NumRows(); n != 3 {
		t.Errorf("%d rows, want the cap of 3", n)
	}
}

func wantCompileError(t *testing.T, err error, line, col int, msg string) {
	t.Helper()
	var ce *pxl.CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *CompileError", err)
	}
	if len(ce.Errors) == 0 {
		t.Fatal("CompileError without errors")
	}
	e := ce.Errors[0]
	if e.Line != line || e.Column != col || !strings.Contains(e.Message, msg) {
		t.Errorf("error %d:%d %q, want %d:%d containing %q", e.Line, e.Column, e.Message, line, col, msg)
	}
}

func TestCompileErrors(t *testing.T) {
	const head = "import px\ndf = px.DataFrame('http_events')\n"
	tests := []struct {
		name      string
		script    string
		funcs     []pxl.FuncCall
		line, col int
		msg       string
	}{
		{"unknown px function", head + "df.x = px.foo(df.latency)\npx.display(df)\n", nil, 3, 8, "px.foo"},
		{"unknown px function in an uncalled function", head + "def f():\n    return px.nope(1)\npx.display(df)\n", nil, 4, 12, "px.nope"},
		{"unknown column", head + "df.x = df.nope + 1\npx.display(df)\n", nil, 3, 8, "column 'nope' not found"},
		{"unknown column by name", head + "px.display(df[['latency', 'nope']])\n", nil, 3, 15, "column 'nope' not found"},
		{"unknown column in agg", head + "df = df.agg(\n    n=('nope', px.count))\npx.display(df)\n", nil, 4, 5, "column 'nope' not found"},
		{"unknown table", "import px\ndf = px.DataFrame('nope')\npx.display(df)\n", nil, 2, 19, "Table 'nope' not found"},
		{"loop", head + "for i in [1, 2]:\n    pass\npx.display(df)\n", nil, 3, 1, "loops are not supported"},
		{"while", head + "while True:\n    pass\npx.display(df)\n", nil, 3, 1, "loops are not supported"},
		{"class", "import px\nclass A:\n    pass\n", nil, 2, 1, "class definitions are not supported"},
		{"comprehension", head + "cols = [c for c in ['a']]\npx.display(df)\n", nil, 3, 8, "comprehensions are not supported"},
		{"lambda", head + "f = lambda x: x\npx.display(df)\n", nil, 3, 5, "lambda"},
		{"type error", head + "df.x = df.req_path + 1\npx.display(df)\n", nil, 3, 8, "unsupported operand types for +: STRING and INT64"},
		{"bad filter type", head + "df = df[df.latency + 1]\npx.display(df)\n", nil, 3, 9, "BOOLEAN"},
		{"bad aggregate type", head + "df = df.agg(s=('req_path', px.sum))\npx.display(df)\n", nil, 3, 13, "px.sum cannot aggregate column 'req_path' of type STRING"},
		{"wrong arity", head + "df.x = px.bin(df.time_)\npx.display(df)\n", nil, 3, 8, "px.bin takes 2 argument(s), 1 given"},
		{"undefined name", head + "px.display(dff)\n", nil, 3, 12, "name 'dff' is not defined"},
		{"syntax error", head + "df = (df\npx.display(df)\n", nil, 4, 1, "invalid syntax"},
		{"import", "import os\n", nil, 1, 1, "only 'import px', 'import pxtrace' and 'import pxviews' are"},
		{"column truth value", head + "if df.latency > 3:\n    pass\npx.display(df)\n", nil, 3, 4, "no truth value"},
		{"no display", head, nil, 0, 0, pxl.NoDisplayMessage},
		{"display only in an uncalled function", head + "def f():\n    px.display(df)\n", nil, 0, 0, pxl.NoDisplayMessage},
		{"missing annotation", head + "def f(a: str, b):\n    return df\n",
			[]pxl.FuncCall{{Name: "f", OutputPrefix: "o", Args: []pxl.FuncArg{{Name: "a", Value: "x"}}}}, 3, 15, "Arg type annotation required"},
		{"missing exec function", head, []pxl.FuncCall{{Name: "g", OutputPrefix: "o"}}, 0, 0, "function 'g' not found"},
		{"bad exec argument", head + "def f(n: int):\n    return df.head(n)\n",
			[]pxl.FuncCall{{Name: "f", OutputPrefix: "o", Args: []pxl.FuncArg{{Name: "n", Value: "ten"}}}}, 3, 7, "cannot parse \"ten\" as int"},
		{"unknown exec argument", head + "def f(n: int):\n    return df.head(n)\n",
			[]pxl.FuncCall{{Name: "f", OutputPrefix: "o", Args: []pxl.FuncArg{{Name: "m", Value: "1"}}}}, 3, 1, "no parameter 'm'"},
		{"exec function returns no DataFrame", head + "def f():\n    return 1\n",
			[]pxl.FuncCall{{Name: "f", OutputPrefix: "o"}}, 3, 1, "must return a DataFrame"},
		{"position after a repaired comma", head + "df = df.agg(a=('latency', px.count) b=('nope', px.max))\npx.display(df)\n", nil, 3, 37, "column 'nope' not found"},
		{"merge key types", head + "px.display(df.merge(df, left_on='latency', right_on='req_path'))\n", nil, 3, 25, "cannot join"},
		{"aggregate called", head + "df.x = px.count(df.latency)\npx.display(df)\n", nil, 3, 8, "px.count is an aggregate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pxl.NewEngine(fixedSource()).Execute(context.Background(), tc.script, tc.funcs)
			wantCompileError(t, err, tc.line, tc.col, tc.msg)
		})
	}
}

func TestCompileReportsEveryStaticError(t *testing.T) {
	_, err := pxl.Compile("import px\nfor i in x:\n    pass\ny = [a for a in b]\nz = px.nothing()\n")
	var ce *pxl.CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *CompileError", err)
	}
	var got []string
	for _, e := range ce.Errors {
		got = append(got, fmt.Sprintf("%d:%d", e.Line, e.Column))
	}
	if strings.Join(got, " ") != "2:1 4:5 5:5" {
		t.Errorf("positions %v, want 2:1 4:5 5:5 (%v)", got, ce)
	}
}

func TestProgramIsReusable(t *testing.T) {
	p, err := pxl.Compile("import px\npx.display(px.DataFrame('http_events', start_time='-12s'))\n")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res, err := p.Run(context.Background(), fixedSource(), pxl.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Tables[0].NumRows(); n != 2 {
			t.Errorf("%d rows, want 2", n)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pxl.NewEngine(fixedSource()).Execute(ctx, "import px\npx.display(px.DataFrame('http_events'))\n", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestCrossJoinCastsAndConstantFilters(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s')
window = df.agg(first=('time_', px.min), last=('time_', px.max))
window.span = px.DurationNanos(window.last - window.first)
counts = df.groupby('req_path').agg(n=('latency', px.count))
rates = counts.merge(window[['span']], how='inner', left_on=[], right_on=[])
rates.per_s = rates.n / rates.span * 1000000000
rates.svc = px.Service(rates.req_path)
px.display(rates, 'rates')
keep_all = True
px.display(df[keep_all or df.latency > 1000][['latency']].agg(n=('latency', px.count)), 'all')
px.display(df[False][['latency']], 'none')
`)
	checkTable(t, res, "rates", `
req_path:STRING:NONE n:INT64:NONE span:INT64:DURATION_NS per_s:FLOAT64:THROUGHPUT_PER_NS svc:STRING:SERVICE_NAME
"/a" 5 45000000000 0.1111111111111111 "/a"
"/b" 3 45000000000 0.06666666666666667 "/b"
"/x" 1 45000000000 0.022222222222222223 "/x"
"/healthz" 1 45000000000 0.022222222222222223 "/healthz"
`)
	checkTable(t, res, "all", "\nn:INT64:NONE\n10\n")
	checkTable(t, res, "none", "\nlatency:INT64:DURATION_NS\n")
}

func TestStringFunctions(t *testing.T) {
	res := run(t, `
import px
df = px.DataFrame('http_events', start_time='-60s', select=['req_path', 'remote_addr']).head(2)
df.up = px.toupper(df.req_path)
df.len = px.length(df.remote_addr)
df.sub = px.substring(df.remote_addr, 2, 3)
df.parts = px.split(df.remote_addr, '.')
df.last = px.pluck_array(df.parts, 3)
df.re = px.regex_match('1\\.1\\.1\\.[12]', df.remote_addr)
df.rep = px.replace('[.]', df.remote_addr, '-')
df.num = px.atoi(df.last) + 1
df.ref = px.script_reference(df.req_path, 'px/http_data', {'path': df.req_path})
px.display(df.drop(['remote_addr', 'parts']), 'strs')
`)
	checkTable(t, res, "strs", `
req_path:STRING:NONE up:STRING:NONE len:INT64:NONE sub:STRING:NONE last:STRING:NONE re:BOOLEAN:NONE rep:STRING:NONE num:INT64:NONE ref:STRING:SCRIPT_REFERENCE
"/a" "/A" 7 "1.1" "1" true "1-1-1-1" 2 "{\"args\":{\"path\":\"/a\"},\"label\":\"/a\",\"script\":\"px/http_data\"}"
"/a" "/A" 7 "1.1" "2" true "1-1-1-2" 3 "{\"args\":{\"path\":\"/a\"},\"label\":\"/a\",\"script\":\"px/http_data\"}"
`)
}

func TestResourceLimits(t *testing.T) {
	e := pxl.NewEngine(fixedSource())
	// Exponential recursion is cut by the step budget.
	_, err := e.Execute(context.Background(), `
import px
def f(n):
    if n == 0:
        return 0
    return f(n - 1) + f(n - 1)
x = f(40)
px.display(px.DataFrame('http_events'))
`, nil)
	wantCompileError(t, err, 6, 14, "too complex")
	// Doubling strings.
	script := "import px\ns = 'ab'\n" + strings.Repeat("s = s + s\n", 30) + "px.display(px.DataFrame('http_events'))\n"
	_, err = e.Execute(context.Background(), script, nil)
	wantCompileError(t, err, 22, 5, "string longer than")
	// Doubling frames and column strings fail at execution.
	script = "import px\ndf = px.DataFrame('http_events')\n" + strings.Repeat("df = df.merge(df, left_on=[], right_on=[])\n", 3) + "px.display(df)\n"
	if _, err = e.Execute(context.Background(), script, nil); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("squaring cross joins: %v", err)
	}
	script = "import px\ndf = px.DataFrame('http_events')\n" + strings.Repeat("df.req_path = df.req_path + df.req_path\n", 22) + "px.display(df)\n"
	if _, err = e.Execute(context.Background(), script, nil); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("doubling strings: %v", err)
	}
}

func TestMissingCommaRepairIsLimitedToCalls(t *testing.T) {
	// Outside brackets, a missing separator stays a syntax error.
	_, err := pxl.Compile("import px\nx = 1 y = 2\n")
	wantCompileError(t, err, 2, 7, "invalid syntax")
	// A docstring with quotes before the call does not confuse the repair.
	p, err := pxl.Compile(`import px
def f():
    ''' Don't "mind" me (really '''
    return px.DataFrame('http_events').agg(a=('latency', px.count)
        b=('latency', px.max))
px.display(f())
`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), fixedSource(), pxl.RunOptions{}); err != nil {
		t.Fatal(err)
	}
}
