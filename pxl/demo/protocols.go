package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The demo's services talk to backends outside the cluster (managed
// databases, brokers, DNS) over the protocols Pixie traces: each backend
// call is a client-side row (trace_role 1) at the calling pod, at the time
// of the HTTP request it serves. Calls slow down and fail more as their
// service's load passes its capacity.

// backend is a server one demo service calls while serving its requests.
type backend struct {
	name    string // its DNS name (dns_events)
	client  string // the demo service whose pods call it
	table   int
	ip      string
	port    int64
	calls   float64 // calls per served request (the fraction is a probability)
	median  time.Duration
	errRate float64        // at rest
	row     func(c *bcall) // appends the table's own columns (latency excluded)
}

// bcall is one backend call being written.
type bcall struct {
	p      *protoGen
	b      *tableBuilder
	r      *rand.Rand
	st     *protoState
	pod    *pod
	be     *backend
	t      int64
	k      int // the call's index within its request
	failed bool
}

// protoState is what the protocol tables carry from second to second.
type protoState struct {
	kafkaOffset [3]int64         // next offset per partition of the orders topic
	generation  int64            // the consumer group's generation
	gc          map[int][2]int64 // per JVM pod: young and full GC time, ns
}

// backends are the demo's backend servers, in generation order.
var backends = []*backend{
	{name: "catalog-db.default.svc.cluster.local", client: "catalog", table: tPgSQL, ip: "10.100.0.5", port: 5432, calls: 2, median: 3 * time.Millisecond, errRate: 0.002, row: pgsqlRow},
	{name: "inventory-db.default.svc.cluster.local", client: "catalog", table: tMySQL, ip: "10.100.0.6", port: 3306, calls: 1, median: 2 * time.Millisecond, errRate: 0.003, row: mysqlRow},
	{name: "reviews-db.default.svc.cluster.local", client: "catalog", table: tMongo, ip: "10.100.0.9", port: 27017, calls: 0.5, median: 4 * time.Millisecond, errRate: 0.002, row: mongoRow},
	{name: "recommender.default.svc.cluster.local", client: "catalog", table: tMux, ip: "10.100.0.12", port: 9990, calls: 0.5, median: 6 * time.Millisecond, errRate: 0.001, row: muxRow},
	{name: "cart-redis.default.svc.cluster.local", client: "cart", table: tRedis, ip: "10.100.0.7", port: 6379, calls: 3, median: 400 * time.Microsecond, errRate: 0.001, row: redisRow},
	{name: "nats.default.svc.cluster.local", client: "cart", table: tNATS, ip: "10.100.0.11", port: 4222, calls: 1, median: 300 * time.Microsecond, errRate: 0.001, row: natsRow},
	{name: "kafka.default.svc.cluster.local", client: "producer", table: tKafka, ip: "10.100.0.8", port: 9092, calls: 1, median: 5 * time.Millisecond, errRate: 0.001, row: kafkaProduceRow},
	{name: "orders-cassandra.default.svc.cluster.local", client: "producer", table: tCQL, ip: "10.100.0.10", port: 9042, calls: 1, median: 3 * time.Millisecond, errRate: 0.002, row: cqlRow},
	{name: "rabbitmq.default.svc.cluster.local", client: "consumer", table: tAMQP, ip: "10.100.0.13", port: 5672, calls: 1, median: 2 * time.Millisecond, errRate: 0.001, row: amqpRow},
}

// kafkaBackend is the Kafka broker of backends, whose records the
// consumer fetches.
var kafkaBackend = func() *backend {
	for _, be := range backends {
		if be.table == tKafka {
			return be
		}
	}
	panic("demo: no Kafka backend")
}()

// dnsServer is kube-dns's service address.
const dnsServer = "10.96.0.10"

// jvmService runs on the JVM (jvm_stats).
const jvmService = "consumer"

// protoGen writes one second's protocol tables.
type protoGen struct {
	c       *Cluster
	g       *second
	r       *rand.Rand
	b       [numTables]*tableBuilder
	util    []float64    // per service, arrivals over capacity this second
	fetches []kafkaFetch // records produced this second
}

// protocolRows adds the backend calls of the second's requests, DNS
// lookups, and the periodic JVM, profiler and Stirling status tables. It
// draws from its own random stream, so the other tables' data does not
// depend on it.
func (g *second) protocolRows(ch *chunk) {
	c := g.c
	p := &protoGen{c: c, g: g, r: rand.New(rand.NewPCG(c.seed^0x9e3779b97f4a7c15, uint64(g.sec))), util: make([]float64, len(c.svcs))}
	for _, t := range []int{tPgSQL, tMySQL, tRedis, tDNS, tCQL, tKafka, tNATS, tMongo, tAMQP, tMux} {
		p.b[t] = newTableBuilder(t)
	}
	for _, s := range c.svcs {
		if s.capacity > 0 {
			p.util[s.idx] = float64(len(g.arrivals[s.idx])) / s.capacity
		}
	}
	for i := range g.reqs {
		rq := &g.reqs[i]
		if rq.pod == nil || rq.status == 503 {
			continue
		}
		for _, be := range backends {
			if be.client == rq.svc.name {
				p.calls(be, rq)
			}
		}
	}
	p.kafkaConsumer(p.fetches)
	p.dns()
	for t, b := range p.b {
		if b != nil {
			ch.tabs[t] = b.finish()
		}
	}
	if g.sec%10 == 0 {
		ch.tabs[tJVM] = c.jvmStats(p.r, g.base)
		ch.tabs[tStacks] = c.stackTraces(p.r, g.base)
	}
	if g.sec%60 == 0 {
		ch.tabs[tStirlingErr], ch.tabs[tProbeStatus] = c.stirlingStatus(g.base)
	}
}

// calls writes the calls request rq makes to be.
func (p *protoGen) calls(be *backend, rq *request) {
	n := int(be.calls)
	if p.r.Float64() < be.calls-float64(n) {
		n++
	}
	util := min(p.util[rq.svc.idx], 3)
	slow := 1 + 3*util*util*util
	errRate := be.errRate + 0.05*max(0, util-1)
	for k := range n {
		lat := int64(logNormal(p.r, float64(be.median), 0.4) * slow)
		t := max(p.g.base, rq.t-rq.own+int64(k+1)*rq.own/int64(n+1))
		cl := p.call(be, rq.pod, t, k)
		cl.failed = p.r.Float64() < errRate
		p.write(cl, lat)
	}
}

// call is a call of be by pod at t, the k-th of its request, written to
// be's table with the second's random stream and protocol state.
func (p *protoGen) call(be *backend, pod *pod, t int64, k int) *bcall {
	return &bcall{p: p, b: p.b[be.table], r: p.r, st: &p.c.st.proto, pod: pod, be: be, t: t, k: k}
}

// write appends one call: the connection's columns, the table's own, the
// latency when the table has one.
func (p *protoGen) write(cl *bcall, lat int64) {
	b := cl.b
	b.int(0, cl.t)
	b.pod(1, cl.pod.idx)
	b.str(2, cl.be.ip)
	b.int(3, cl.be.port)
	b.str(4, cl.pod.info.IP)
	b.int(5, ephemeralPort(p.c.seed, cl.be.ip, cl.pod.idx))
	b.int(6, 1)
	b.bool(7, false)
	cl.be.row(cl)
	if last := len(b.rel) - 1; b.rel[last].Name == "latency" {
		b.int(last, lat)
	}
}

// dns writes each pod's lookups: every 5 s, the backends its service
// calls (and the Kubernetes API for the operator), answered by kube-dns.
func (p *protoGen) dns() {
	dnsBackend := &backend{table: tDNS, ip: dnsServer, port: 53, row: dnsRow}
	for _, pd := range p.c.pods {
		if (p.g.sec+pd.phase)%5 != 0 {
			continue
		}
		names := lookups(pd.svc.name)
		for k, name := range names {
			be := *dnsBackend
			be.name = name
			cl := p.call(&be, pd, p.g.base+int64(pd.idx)*int64(2*time.Millisecond)+int64(k)*int64(300*time.Microsecond), k)
			p.write(cl, int64(logNormal(p.r, 250e3, 0.3)))
		}
	}
}

// lookups are the names a service's pods resolve.
func lookups(svc string) []string {
	var out []string
	for _, be := range backends {
		if be.client == svc {
			out = append(out, be.name)
		}
	}
	for _, s := range topology {
		if s.name != svc {
			continue
		}
		for _, ep := range s.endpoints {
			for _, c := range ep.calls {
				if name := c.service + ".default.svc.cluster.local"; !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	if svc == "vizier-operator" {
		out = append(out, "kubernetes.default.svc.cluster.local")
	}
	return out
}

// backendIP is the address a looked-up name resolves to.
func (c *Cluster) backendIP(name string) string {
	for _, be := range backends {
		if be.name == name {
			return be.ip
		}
	}
	for _, s := range c.svcs {
		if s.name+".default.svc.cluster.local" == name || s.name+"."+s.namespace+".svc.cluster.local" == name {
			if s.ip != "" {
				return s.ip
			}
			return "10.96.0." + strconv.Itoa(20+s.idx)
		}
	}
	return "10.96.0.1"
}

// jvmStats samples the JVM service's pods: cumulative GC time grows with
// the pod's CPU, the heap saws between collections.
func (c *Cluster) jvmStats(r *rand.Rand, base int64) *tchunk {
	b := newTableBuilder(tJVM)
	st := &c.st.proto
	if st.gc == nil {
		st.gc = map[int][2]int64{}
	}
	for _, s := range c.svcs {
		if s.name != jvmService {
			continue
		}
		for _, pd := range s.pods {
			gc := st.gc[pd.idx]
			gc[0] += int64(logNormal(r, 40e6, 0.3) * (1 + c.st.procs[pd.idx].served/200))
			if r.Float64() < 0.05 {
				gc[1] += int64(logNormal(r, 300e6, 0.3))
			}
			st.gc[pd.idx] = gc
			total := int64(512 << 20)
			used := int64(float64(total) * (0.35 + 0.4*math.Abs(math.Sin(float64(base)/7e10+float64(pd.idx)))))
			b.int(0, base+int64(pd.idx)*int64(5*time.Millisecond))
			b.pod(1, pd.idx)
			b.int(2, gc[0])
			b.int(3, gc[1])
			b.int(4, used)
			b.int(5, total)
			b.int(6, 1<<30)
		}
	}
	return b.finish()
}
