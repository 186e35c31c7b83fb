package pixie

import "strconv"

// DataType is the storage type of a result column. Its values are Vizier's
// DataType enum numbers, so converting from and to the wire is a cast, and
// String gives the wire name (INT64, TIME64NS, ...).
type DataType int32

// The data types Vizier sends.
const (
	TypeUnknown  DataType = 0
	TypeBoolean  DataType = 1
	TypeInt64    DataType = 2
	TypeUInt128  DataType = 3
	TypeFloat64  DataType = 4
	TypeString   DataType = 5
	TypeTime64NS DataType = 6 // nanoseconds since the Unix epoch
)

var dataTypeNames = [...]string{
	TypeUnknown:  "DATA_TYPE_UNKNOWN",
	TypeBoolean:  "BOOLEAN",
	TypeInt64:    "INT64",
	TypeUInt128:  "UINT128",
	TypeFloat64:  "FLOAT64",
	TypeString:   "STRING",
	TypeTime64NS: "TIME64NS",
}

// String returns the type's wire name, or its number when it has none
// (a newer Vizier), as protobuf's own enum String does.
func (t DataType) String() string {
	if t >= 0 && int(t) < len(dataTypeNames) {
		return dataTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// SemanticType says what a column's values mean (a duration, a pod name,
// a percentage, ...). Its values are Vizier's SemanticType enum numbers and
// String gives the wire name (ST_DURATION_NS, ...).
type SemanticType int32

// The semantic types Vizier sends.
const (
	STUnspecified          SemanticType = 0
	STNone                 SemanticType = 1
	STTimeNS               SemanticType = 2
	STAgentUID             SemanticType = 100
	STASID                 SemanticType = 101
	STUPID                 SemanticType = 200
	STServiceName          SemanticType = 300
	STPodName              SemanticType = 400
	STPodPhase             SemanticType = 401
	STPodStatus            SemanticType = 402
	STNodeName             SemanticType = 500
	STContainerName        SemanticType = 600
	STContainerState       SemanticType = 601
	STContainerStatus      SemanticType = 602
	STNamespaceName        SemanticType = 700
	STBytes                SemanticType = 800
	STPercent              SemanticType = 900
	STDurationNS           SemanticType = 901
	STThroughputPerNS      SemanticType = 902
	STThroughputBytesPerNS SemanticType = 903
	STQuantiles            SemanticType = 1000
	STDurationNSQuantiles  SemanticType = 1001
	STIPAddress            SemanticType = 1100
	STPort                 SemanticType = 1200
	STHTTPReqMethod        SemanticType = 1300
	STHTTPRespStatus       SemanticType = 1400
	STHTTPRespMessage      SemanticType = 1500
	STScriptReference      SemanticType = 3000
)

var semanticTypeNames = map[SemanticType]string{
	STUnspecified:          "ST_UNSPECIFIED",
	STNone:                 "ST_NONE",
	STTimeNS:               "ST_TIME_NS",
	STAgentUID:             "ST_AGENT_UID",
	STASID:                 "ST_ASID",
	STUPID:                 "ST_UPID",
	STServiceName:          "ST_SERVICE_NAME",
	STPodName:              "ST_POD_NAME",
	STPodPhase:             "ST_POD_PHASE",
	STPodStatus:            "ST_POD_STATUS",
	STNodeName:             "ST_NODE_NAME",
	STContainerName:        "ST_CONTAINER_NAME",
	STContainerState:       "ST_CONTAINER_STATE",
	STContainerStatus:      "ST_CONTAINER_STATUS",
	STNamespaceName:        "ST_NAMESPACE_NAME",
	STBytes:                "ST_BYTES",
	STPercent:              "ST_PERCENT",
	STDurationNS:           "ST_DURATION_NS",
	STThroughputPerNS:      "ST_THROUGHPUT_PER_NS",
	STThroughputBytesPerNS: "ST_THROUGHPUT_BYTES_PER_NS",
	STQuantiles:            "ST_QUANTILES",
	STDurationNSQuantiles:  "ST_DURATION_NS_QUANTILES",
	STIPAddress:            "ST_IP_ADDRESS",
	STPort:                 "ST_PORT",
	STHTTPReqMethod:        "ST_HTTP_REQ_METHOD",
	STHTTPRespStatus:       "ST_HTTP_RESP_STATUS",
	STHTTPRespMessage:      "ST_HTTP_RESP_MESSAGE",
	STScriptReference:      "ST_SCRIPT_REFERENCE",
}

// String returns the semantic type's wire name, or its number when it has
// none (a newer Vizier).
func (t SemanticType) String() string {
	if s, ok := semanticTypeNames[t]; ok {
		return s
	}
	return strconv.Itoa(int(t))
}
