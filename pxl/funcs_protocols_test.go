package pxl_test

import (
	"context"
	"testing"

	"github.com/pxgate/pxgate/pxl"
)

// Each new px.* function, evaluated on a constant in a one-row frame.
func TestProtocolAndExecFuncs(t *testing.T) {
	cases := []struct {
		expr, want string
	}{
		{`px.cql_opcode_name(7)`, `v:STRING:NONE` + "\n" + `"Query"`},
		{`px.cql_opcode_name(4)`, `v:STRING:NONE` + "\n" + `"Unknown (4)"`},
		{`px.kafka_api_key_name(11)`, `v:STRING:NONE` + "\n" + `"JoinGroup"`},
		{`px.amqp_frame_type_name(1)`, `v:STRING:NONE` + "\n" + `"Method"`},
		{`px.amqp_method_name(60, 40)`, `v:STRING:NONE` + "\n" + `"BasicPublish"`},
		{`px.amqp_method_name(0, 0)`, `v:STRING:NONE` + "\n" + `""`},
		{`px.mux_frame_type_name(-2)`, `v:STRING:NONE` + "\n" + `"Rdispatch"`},
		{`px.mysql_command_name(3)`, `v:STRING:NONE` + "\n" + `"Query"`},
		{`px.normalize_pgsql("SELECT a FROM t WHERE id = 17 AND n = 'x' AND k = $1", "QUERY")`,
			`v:STRING:NONE` + "\n" + `"{\"query\":\"SELECT a FROM t WHERE id = $1 AND n = $2 AND k = $1\",\"params\":[\"17\",\"'x'\"],\"error\":\"\"}"`},
		{`px.normalize_pgsql("SELECT 1", "Query")`,
			`v:STRING:NONE` + "\n" + `"{\"query\":\"SELECT $1\",\"params\":[\"1\"],\"error\":\"\"}"`},
		{`px.normalize_pgsql("BEGIN", "Parse")`,
			`v:STRING:NONE` + "\n" + `"{\"query\":\"\",\"params\":[],\"error\":\"not a query request\"}"`},
		{`px.normalize_mysql("SELECT a FROM t2 WHERE id = 17", 3)`,
			`v:STRING:NONE` + "\n" + `"{\"query\":\"SELECT a FROM t2 WHERE id = ?\",\"params\":[\"17\"],\"error\":\"\"}"`},
		{`px.normalize_mysql("t", 14)`, `v:STRING:NONE` + "\n" + `"{\"query\":\"\",\"params\":[],\"error\":\"not a query request\"}"`},
		{`px.equal('a', 'a')`, `v:BOOLEAN:NONE` + "\n" + `true`},
		{`px.negate(px.DurationNanos(5))`, `v:INT64:DURATION_NS` + "\n" + `-5`},
		{`px.atoi('12x', -1)`, `v:INT64:NONE` + "\n" + `-1`},
		{`px.atoi('12')`, `v:INT64:NONE` + "\n" + `12`},
		{`px._exec_hostname()`, `v:STRING:NONE` + "\n" + `"n1"`},
		{`px._exec_host_num_cpus()`, `v:INT64:NONE` + "\n" + `4`},
		{`px.format_duration(2 * px.parse_duration('-5m'))`, `v:STRING:NONE` + "\n" + `"-10m"`},
		{`px.format_duration(5400000000000)`, `v:STRING:NONE` + "\n" + `"1h30m"`},
		{`px.now() - px.parse_time('-5m')`, `v:INT64:DURATION_NS` + "\n" + `300000000000`},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			res := run(t, "import px\ndf = px.DataFrame('http_events', start_time='-60s').head(1)\ndf.v = "+tc.expr+"\npx.display(df[['v']], 'o')\n")
			checkTable(t, res, "o", tc.want+"\n")
		})
	}
}

// px attributes can be set (as Pixie's scripts alias types); an unknown
// attribute of pxviews is a compile error at its position.
func TestModules(t *testing.T) {
	res := run(t, `
import px
px.Node = str
def f(n: px.Node):
    df = px.DataFrame('http_events', start_time='-60s').head(1)
    df.n = n
    return df[['n']]
px.display(f('x'), 'o')
`)
	checkTable(t, res, "o", `
n:STRING:NONE
"x"
`)
	_, err := pxl.NewEngine(fixedSource()).Execute(context.Background(), "import px\nimport pxviews\ndf = pxviews.nope('-1m', px.now())\npx.display(df)\n", nil)
	wantCompileError(t, err, 3, 6, "module 'pxviews' has no attribute 'nope'")
}
