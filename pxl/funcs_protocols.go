package pxl

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// protocolFuncs are the px.* functions naming protocol codes (as Pixie's
// protocol tables store them) and normalizing SQL.
var protocolFuncs = []*scalarFunc{
	codeName("cql_opcode_name", cqlOpcodes),
	codeName("kafka_api_key_name", kafkaAPIKeys),
	codeName("amqp_frame_type_name", amqpFrameTypes),
	codeName("mux_frame_type_name", muxFrameTypes),
	codeName("mysql_command_name", mysqlCommands),
	typed("amqp_method_name", sig(Int64, Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Ints, v[0].scalar, v[1].Ints, v[1].scalar, n, amqpMethodName))
	}),
	typed("normalize_pgsql", sig(String, String), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(q, cmd string) string {
			return normalizeSQL(q, strings.EqualFold(cmd, "QUERY"), pgsqlParam)
		}))
	}),
	typed("normalize_mysql", sig(String, Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Ints, v[1].scalar, n, func(q string, cmd int64) string {
			return normalizeSQL(q, cmd == mysqlComQuery, func(int) string { return "?" })
		}))
	}),
}

// codeName is px.name(code): the name of a protocol's INT64 code, or
// "Unknown (<code>)" for one it does not define.
func codeName(name string, names map[int64]string) *scalarFunc {
	return typed(name, sig(Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(unaryOp(v[0].Ints, v[0].scalar, n, func(code int64) string {
			if s, ok := names[code]; ok {
				return s
			}
			return "Unknown (" + strconv.FormatInt(code, 10) + ")"
		}))
	})
}

// cqlOpcodes are the Cassandra native protocol's opcodes.
var cqlOpcodes = map[int64]string{
	0: "Error", 1: "Startup", 2: "Ready", 3: "Authenticate", 5: "Options", 6: "Supported",
	7: "Query", 8: "Result", 9: "Prepare", 10: "Execute", 11: "Register", 12: "Event",
	13: "Batch", 14: "AuthChallenge", 15: "AuthResponse", 16: "AuthSuccess",
}

// kafkaAPIKeys are Kafka's request API keys.
var kafkaAPIKeys = map[int64]string{
	0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr", 5: "StopReplica",
	6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit", 9: "OffsetFetch",
	10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
	15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake", 18: "ApiVersions",
	19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId",
	23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn",
	27: "WriteTxnMarkers", 28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls",
	31: "DeleteAcls", 32: "DescribeConfigs", 33: "AlterConfigs", 36: "SaslAuthenticate",
	37: "CreatePartitions", 42: "DeleteGroups", 47: "OffsetDelete",
}

// amqpFrameTypes are AMQP 0-9-1's frame types.
var amqpFrameTypes = map[int64]string{1: "Method", 2: "Header", 3: "Body", 8: "Heartbeat"}

// muxFrameTypes are Finagle Mux's message types (T: request, R: reply).
var muxFrameTypes = map[int64]string{
	1: "Treq", -1: "Rreq", 2: "Tdispatch", -2: "Rdispatch", 64: "Tdrain", -64: "Rdrain",
	65: "Tping", -65: "Rping", 66: "Tdiscarded", -66: "Rdiscarded", 67: "Tlease",
	68: "Tinit", -68: "Rinit", -128: "Rerr", 127: "Rerr",
}

// mysqlComQuery is MySQL's COM_QUERY command.
const mysqlComQuery = 3

// mysqlCommands are MySQL's client commands.
var mysqlCommands = map[int64]string{
	0: "Sleep", 1: "Quit", 2: "InitDB", 3: "Query", 4: "FieldList", 5: "CreateDB", 6: "DropDB",
	7: "Refresh", 8: "Shutdown", 9: "Statistics", 10: "ProcessInfo", 11: "Connect",
	12: "ProcessKill", 13: "Debug", 14: "Ping", 22: "StmtPrepare", 23: "StmtExecute",
	24: "StmtSendLongData", 25: "StmtClose", 26: "StmtReset", 27: "SetOption", 28: "StmtFetch",
	31: "ResetConnection",
}

// amqpClasses are AMQP 0-9-1's classes with their methods.
var amqpClasses = map[int64]struct {
	name    string
	methods map[int64]string
}{
	10: {"Connection", map[int64]string{10: "Start", 11: "StartOk", 20: "Secure", 21: "SecureOk", 30: "Tune", 31: "TuneOk", 40: "Open", 41: "OpenOk", 50: "Close", 51: "CloseOk"}},
	20: {"Channel", map[int64]string{10: "Open", 11: "OpenOk", 20: "Flow", 21: "FlowOk", 40: "Close", 41: "CloseOk"}},
	40: {"Exchange", map[int64]string{10: "Declare", 11: "DeclareOk", 20: "Delete", 21: "DeleteOk"}},
	50: {"Queue", map[int64]string{10: "Declare", 11: "DeclareOk", 20: "Bind", 21: "BindOk", 30: "Purge", 31: "PurgeOk", 40: "Delete", 41: "DeleteOk", 50: "Unbind", 51: "UnbindOk"}},
	60: {"Basic", map[int64]string{10: "Qos", 11: "QosOk", 20: "Consume", 21: "ConsumeOk", 30: "Cancel", 31: "CancelOk", 40: "Publish", 50: "Return", 60: "Deliver", 70: "Get", 71: "GetOk", 72: "GetEmpty", 80: "Ack", 90: "Reject", 100: "RecoverAsync", 110: "Recover", 111: "RecoverOk", 120: "Nack"}},
	85: {"Confirm", map[int64]string{10: "Select", 11: "SelectOk"}},
	90: {"Tx", map[int64]string{10: "Select", 11: "SelectOk", 20: "Commit", 21: "CommitOk", 30: "Rollback", 31: "RollbackOk"}},
}

// amqpMethodName is a method's class and method name ("BasicPublish"),
// "" for no method (class 0) and "Unknown" for one AMQP does not define.
func amqpMethodName(class, method int64) string {
	if class == 0 {
		return ""
	}
	c, ok := amqpClasses[class]
	if !ok || c.methods[method] == "" {
		return "Unknown"
	}
	return c.name + c.methods[method]
}

// sqlLiteral matches a SQL string literal or a number outside identifiers.
var sqlLiteral = regexp.MustCompile(`\$\d+|'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b`)

// pgsqlParam is PostgreSQL's placeholder for the i-th (0-based) parameter.
func pgsqlParam(i int) string { return "$" + strconv.Itoa(i+1) }

// normalizeSQL replaces the literals of a query with placeholders: the
// JSON {"query": normalized, "params": [literals], "error": ""}; existing
// placeholders ($1) stay. A request that is not a query gives an empty
// query and the error.
func normalizeSQL(q string, isQuery bool, placeholder func(int) string) string {
	out := struct {
		Query  string   `json:"query"`
		Params []string `json:"params"`
		Error  string   `json:"error"`
	}{Params: []string{}}
	if isQuery {
		out.Query = sqlLiteral.ReplaceAllStringFunc(q, func(lit string) string {
			if lit[0] == '$' { // already a placeholder
				return lit
			}
			out.Params = append(out.Params, lit)
			return placeholder(len(out.Params) - 1)
		})
	} else {
		out.Error = "not a query request"
	}
	b, _ := json.Marshal(out)
	return string(b)
}
