package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"
)

// The table-specific columns of each backend call (protocols.go), with
// the values Pixie's protocol parsers write: command codes, bodies as
// text or JSON, response status.

// pgsqlQueries are the catalog's PostgreSQL statements, by call index.
var pgsqlQueries = []string{
	"SELECT id, name, price FROM products WHERE category = $1 ORDER BY name LIMIT 20",
	"SELECT product_id, amount FROM prices WHERE product_id IN (17, 18, 21) AND currency = 'EUR'",
}

func pgsqlRow(c *bcall) {
	c.b.str(8, "QUERY")
	c.b.str(9, pgsqlQueries[c.k%len(pgsqlQueries)])
	if c.failed {
		c.b.str(10, "ERROR:  canceling statement due to statement timeout")
	} else {
		c.b.str(10, "SELECT "+strconv.Itoa(1+c.r.IntN(20)))
	}
}

// MySQL command 3 is COM_QUERY; response status 2 is OK, 3 an error.
func mysqlRow(c *bcall) {
	c.b.int(8, 3)
	c.b.str(9, "SELECT stock, reserved FROM inventory WHERE product_id = "+strconv.Itoa(10+c.r.IntN(40)))
	if c.failed {
		c.b.int(10, 3)
		c.b.str(11, "Lock wait timeout exceeded; try restarting transaction")
	} else {
		c.b.int(10, 2)
		c.b.str(11, "Resultset rows = 1")
	}
}

func mongoRow(c *bcall) {
	c.b.str(8, "find")
	c.b.str(9, `{"find":"reviews","filter":{"product_id":"p-`+strconv.Itoa(10+c.r.IntN(40))+`"},"limit":10,"$db":"catalog"}`)
	if c.failed {
		c.b.str(10, "not ok")
		c.b.str(11, `{"ok":0,"errmsg":"operation exceeded time limit","code":50}`)
	} else {
		c.b.str(10, "ok")
		c.b.str(11, `{"cursor":{"firstBatch":[{"stars":4},{"stars":5}],"id":0,"ns":"catalog.reviews"},"ok":1}`)
	}
}

// Mux message type 2 is Tdispatch, 65 Tping.
func muxRow(c *bcall) {
	if c.r.Float64() < 0.1 {
		c.b.int(8, 65)
	} else {
		c.b.int(8, 2)
	}
}

// redisCommands are the cart's commands, by call index.
var redisCommands = [][2]string{
	{"HGETALL", `{"key":"cart:c-88"}`},
	{"HSET", `{"key":"cart:c-88","field value":[{"field":"p-17"},{"value":"1"}]}`},
	{"EXPIRE", `{"key":"cart:c-88","seconds":"3600"}`},
}

func redisRow(c *bcall) {
	cmd := redisCommands[c.k%len(redisCommands)]
	c.b.str(8, cmd[0])
	c.b.str(9, cmd[1])
	switch {
	case c.failed:
		c.b.str(10, "-OOM command not allowed when used memory > 'maxmemory'")
	case cmd[0] == "HGETALL":
		c.b.str(10, `["p-17","1","p-21","2"]`)
	default:
		c.b.str(10, "1")
	}
}

func natsRow(c *bcall) {
	c.b.str(8, "PUB")
	c.b.str(9, `{"subject":"cart.updated","reply_to":"","payload":"{\"cart_id\":\"c-88\",\"items\":3}"}`)
	if c.failed {
		c.b.str(10, "-ERR 'Slow Consumer'")
	} else {
		c.b.str(10, "+OK")
	}
}

// CQL opcodes: 7 QUERY, 8 RESULT, 0 ERROR.
func cqlRow(c *bcall) {
	c.b.int(8, 7)
	c.b.str(9, "INSERT INTO orders.events (order_id, status, ts) VALUES (?, ?, ?)")
	if c.failed {
		c.b.int(10, 0)
		c.b.str(11, "[WriteTimeout] Operation timed out - received only 0 responses.")
	} else {
		c.b.int(10, 8)
		c.b.str(11, "Response type = VOID")
	}
}

// AMQP: frame type 1 is a method frame; class 60 (basic), methods 40
// (publish) and 60 (deliver). The consumer publishes each order and gets
// it delivered back on its subscription.
func amqpRow(c *bcall) {
	size := 200 + 50*c.r.IntN(6)
	c.b.int(8, 1)
	c.b.int(9, 1)
	if c.k%2 == 0 || c.r.Float64() < 0.5 {
		c.b.int(10, 60)
		c.b.int(11, 40)
		c.b.int(12, 0)
		c.b.int(13, 0)
		c.b.str(14, `{"exchange":"orders","routing_key":"orders.created","mandatory":false,"immediate":false,"body_size":`+strconv.Itoa(size)+`}`)
		c.b.str(15, "")
		return
	}
	c.b.int(10, 0)
	c.b.int(11, 0)
	c.b.int(12, 60)
	c.b.int(13, 60)
	c.b.str(14, "")
	c.b.str(15, `{"consumer_tag":"amq.ctag-orders","delivery_tag":`+strconv.Itoa(1+c.r.IntN(64))+`,"redelivered":false,"exchange":"orders","routing_key":"orders.created"}`)
}

// dnsRow is one A lookup of c.be.name, answered with its address (kube-dns
// never fails in the demo: dns sets no failures).
func dnsRow(c *bcall) {
	txid := c.r.IntN(256)
	c.b.str(8, fmt.Sprintf(`{"txid":%d,"qr":0,"opcode":0,"aa":0,"tc":0,"rd":1,"ra":0,"ad":0,"cd":0,"rcode":0,"num_queries":1,"num_answers":0,"num_auth":0,"num_addl":0}`, txid))
	c.b.str(9, `{"queries":[{"name":"`+c.be.name+`","type":"A"}]}`)
	c.b.str(10, fmt.Sprintf(`{"txid":%d,"qr":1,"opcode":0,"aa":1,"tc":0,"rd":1,"ra":1,"ad":0,"cd":0,"rcode":0,"num_queries":1,"num_answers":1,"num_auth":0,"num_addl":0}`, txid))
	c.b.str(11, `{"answers":[{"name":"`+c.be.name+`","type":"A","addr":"`+c.p.c.backendIP(c.be.name)+`"}]}`)
}

// Kafka API keys: 0 Produce, 1 Fetch, 11 JoinGroup, 14 SyncGroup. The
// producer writes each order to a partition of "orders"; the consumer
// fetches it from the returned offset a little later.
const kafkaTopic = "orders"

func kafkaProduceRow(c *bcall) {
	part := c.r.IntN(len(c.st.kafkaOffset))
	off := c.st.kafkaOffset[part]
	c.st.kafkaOffset[part]++
	c.b.int(8, 0)
	c.b.str(9, "order-producer")
	c.b.str(10, fmt.Sprintf(`{"transactional_id":"","acks":-1,"timeout_ms":30000,"topics":[{"name":"%s","partitions":[{"index":%d,"message_set":{"size":%d}}]}]}`,
		kafkaTopic, part, 300+100*c.r.IntN(4)))
	errCode := 0
	if c.failed {
		errCode = 7 // REQUEST_TIMED_OUT
	}
	c.b.str(11, fmt.Sprintf(`{"topics":[{"name":"%s","partitions":[{"index":%d,"error_code":%d,"base_offset":%d,"log_start_offset":0}]}],"throttle_time_ms":0}`,
		kafkaTopic, part, errCode, off))
	if !c.failed {
		c.p.fetches = append(c.p.fetches, kafkaFetch{t: c.t, part: part, off: off})
	}
}

// kafkaFetch is a produced record the consumer fetches.
type kafkaFetch struct {
	t    int64
	part int
	off  int64
}

// kafkaConsumer writes the consumer's fetches of the second's produced
// records and, once a minute, its group's rebalance (JoinGroup, then
// SyncGroup from each member).
func (p *protoGen) kafkaConsumer(fetches []kafkaFetch) {
	consumers := p.c.svcByName[jvmService].pods
	be := *kafkaBackend
	end := p.g.base + nsPerSec - 1
	for _, f := range fetches {
		delay := int64(logNormal(p.r, 15e6, 0.5) * (1 + p.util[consumers[0].svc.idx]))
		cl := p.call(&be, consumers[f.part%len(consumers)], min(f.t+delay, end), 0)
		be.row = func(c *bcall) { kafkaFetchRow(c, f) }
		p.write(cl, delay)
	}
	if p.g.sec%60 != 30 {
		return
	}
	p.c.st.proto.generation++
	for i, pd := range consumers {
		for k, row := range []func(*bcall){kafkaJoinRow, kafkaSyncRow} {
			be.row = row
			cl := p.call(&be, pd, p.g.base+int64(i)*int64(10*time.Millisecond)+int64(k)*int64(40*time.Millisecond), i)
			p.write(cl, int64(logNormal(p.r, 30e6, 0.3)))
		}
	}
}

func kafkaFetchRow(c *bcall, f kafkaFetch) {
	c.b.int(8, 1)
	c.b.str(9, "order-consumer")
	c.b.str(10, fmt.Sprintf(`{"replica_id":-1,"topics":[{"name":"%s","partitions":[{"index":%d,"fetch_offset":%d,"partition_max_bytes":1048576}]}]}`,
		kafkaTopic, f.part, f.off))
	c.b.str(11, fmt.Sprintf(`{"error_code":0,"topics":[{"name":"%s","partitions":[{"index":%d,"error_code":0,"high_watermark":%d,"message_set":{"size":%d}}]}]}`,
		kafkaTopic, f.part, f.off+1, 300+100*c.r.IntN(4)))
}

func memberID(k int) string { return fmt.Sprintf("order-consumer-%d-5c1f7a2e", k+1) }

func kafkaJoinRow(c *bcall) {
	c.b.int(8, 11)
	c.b.str(9, "order-consumer")
	c.b.str(10, `{"group_id":"order-consumers","session_timeout_ms":45000,"rebalance_timeout_ms":300000,"member_id":"`+memberID(c.k)+`","group_instance_id":"","protocol_type":"consumer","protocols":[{"protocol":"range"}]}`)
	c.b.str(11, fmt.Sprintf(`{"throttle_time_ms":0,"error_code":0,"generation_id":%d,"protocol_type":"consumer","protocol_name":"range","leader":"%s","member_id":"%s","members":[]}`,
		c.st.generation, memberID(0), memberID(c.k)))
}

func kafkaSyncRow(c *bcall) {
	c.b.int(8, 14)
	c.b.str(9, "order-consumer")
	c.b.str(10, fmt.Sprintf(`{"group_id":"order-consumers","generation_id":%d,"member_id":"%s","group_instance_id":"","protocol_type":"consumer","protocol_name":"range","assignments":[]}`,
		c.st.generation, memberID(c.k)))
	c.b.str(11, `{"throttle_time_ms":0,"error_code":0,"protocol_type":"consumer","protocol_name":"range","assignment":""}`)
}

// stackFrames are each kind of service's sampled stacks (folded, leaf
// last), the JVM service's in Java.
var (
	goStacks = []string{
		"runtime.goexit;net/http.(*conn).serve;net/http.serverHandler.ServeHTTP;main.handle;encoding/json.Marshal",
		"runtime.goexit;net/http.(*conn).serve;net/http.(*conn).readRequest;bufio.(*Reader).ReadLine",
		"runtime.goexit;main.handle;database/sql.(*DB).QueryContext;net.(*conn).Read;syscall.Syscall",
		"runtime.mcall;runtime.park_m;runtime.schedule;runtime.findRunnable;runtime.netpoll",
		"runtime.bgsweep;runtime.sweepone;runtime.(*sweepLocked).sweep",
	}
	javaStacks = []string{
		"java.lang.Thread.run;org.apache.kafka.clients.consumer.KafkaConsumer.poll;org.apache.kafka.clients.NetworkClient.poll;sun.nio.ch.EPollSelectorImpl.doSelect",
		"java.lang.Thread.run;com.example.orders.OrderHandler.handle;com.fasterxml.jackson.databind.ObjectMapper.readValue",
		"java.lang.Thread.run;com.example.orders.OrderHandler.handle;com.rabbitmq.client.impl.ChannelN.basicPublish;java.net.SocketOutputStream.write",
		"GCTaskThread::run;G1ParEvacuateFollowersClosure::do_void;G1ParScanThreadState::trim_queue",
	}
)

// stackTraces samples each process's stacks over the last 10 s: counts
// grow with the requests it served.
func (c *Cluster) stackTraces(r *rand.Rand, base int64) *tchunk {
	b := newTableBuilder(tStacks)
	for _, pd := range c.pods {
		stacks := goStacks
		if pd.svc.name == jvmService {
			stacks = javaStacks
		}
		for k, s := range stacks {
			frames := pd.svc.name + ";" + s
			h := fnv.New64a()
			h.Write([]byte(frames))
			b.int(0, base+int64(pd.idx)*int64(3*time.Millisecond)+int64(k))
			b.pod(1, pd.idx)
			b.int(2, int64(h.Sum64()>>1))
			b.str(3, frames)
			b.int(4, 1+int64(r.IntN(20)*(len(stacks)-k)))
		}
	}
	return b.finish()
}

// stirlingConnectors are the source connectors each node's collector
// reports on, with the tracepoint probe_status names for each.
var stirlingConnectors = [][2]string{
	{"socket_tracer", "syscall__probe_entry_connect"},
	{"proc_stat", ""},
	{"network_stats", ""},
	{"jvm_stats", ""},
	{"perf_profiler", "sample_call_stack"},
}

// stirlingStatus writes, once a minute per node, the collector's source
// connector status (stirling_error) and probe status (probe_status): all
// deployed, none failing. The node's first pod stands for its collector.
func (c *Cluster) stirlingStatus(base int64) (*tchunk, *tchunk) {
	eb, pb := newTableBuilder(tStirlingErr), newTableBuilder(tProbeStatus)
	seen := map[int]bool{}
	for _, pd := range c.pods {
		if seen[pd.node] {
			continue
		}
		seen[pd.node] = true
		for k, sc := range stirlingConnectors {
			t := base + int64(pd.node)*int64(time.Millisecond) + int64(k)
			eb.int(0, t)
			eb.pod(1, pd.idx)
			eb.str(2, sc[0])
			eb.int(3, 0)
			eb.str(4, "")
			eb.str(5, "Init")
			if sc[1] == "" {
				continue
			}
			pb.int(0, t)
			pb.pod(1, pd.idx)
			pb.str(2, sc[0])
			pb.str(3, sc[1])
			pb.int(4, 0)
			pb.str(5, "")
			pb.str(6, `{"deployed":true}`)
		}
	}
	return eb.finish(), pb.finish()
}
