package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The telemetry model (see doc.go): every second, each service receives a
// Poisson number of requests (external traffic, calls from its callers,
// added load); its own processing time is log-normal around a median; a
// fluid queue per service adds waiting time when arrivals approach or pass
// capacity, and rejects (503) what overflows a queue of maxQueueSeconds.

const (
	maxQueueSeconds = 2.0   // the queue holds this many seconds of work
	maxUtilization  = 0.95  // M/M/1 waiting time is capped here
	unresolvedRate  = 0.003 // server rows whose remote address is unknown
	netLatency      = 400e3 // mean client-side overhead, ns
	probeMedian     = 600e3 // health check latency, ns
	nsPerSec        = int64(time.Second)
	reqHeadersFmt   = `{"Accept":"application/json","Host":"`
	probeHeaders    = `{"Accept":"*/*","Connection":"close","User-Agent":"kube-probe/1.29"}`
	respHeadersJSON = `{"Content-Type":"application/json","Server":"demo"}`
	respHeadersText = `{"Content-Type":"text/plain; charset=utf-8"}`
	respHeadersHTML = `{"Content-Type":"text/html; charset=utf-8"}`
)

// procState is one process's cumulative counters.
type procState struct {
	utime, ktime, minflt, majflt, rchar, wchar, readB, writeB float64
	served                                                    float64 // requests served in the current 10 s
}

// connState is one connection pair's cumulative counters.
type connState struct {
	pod        int // the traced side
	remoteAddr string
	remotePort int64
	role       int64
	ssl        bool
	open       int64
	sent, recv int64
	reqs       int64 // requests in the current 10 s
	total      int64
}

type connKey struct {
	pod        int
	remoteAddr string
	remotePort int64
	role       int64
}

type netState struct {
	rx, tx, rxPk, txPk float64
}

// simState is what carries over from one second to the next.
type simState struct {
	backlog []float64 // per service, requests waiting
	procs   []procState
	conns   map[connKey]*connState
	order   []*connState // creation order, for deterministic output
	net     []netState
	proto   protoState
}

// Base rates per second of an idle process.
const (
	baseUtime  = 3e6
	baseKtime  = 1e6
	baseMinflt = 4
	baseRchar  = 4096
	baseWchar  = 1024
	baseWriteB = 512
	baseNetRx  = 600
	baseNetTx  = 400
)

func (c *Cluster) initState(first int64) {
	st := &c.st
	st.backlog = make([]float64, len(c.svcs))
	st.procs = make([]procState, len(c.pods))
	st.net = make([]netState, len(c.pods))
	st.conns = map[connKey]*connState{}
	for i, p := range c.pods {
		up := float64(first*nsPerSec-p.info.StartTime) / 1e9
		st.procs[i] = procState{utime: up * baseUtime * 4, ktime: up * baseKtime * 3, minflt: up * baseMinflt * 3,
			majflt: 40, rchar: up * baseRchar * 5, wchar: up * baseWchar * 5, readB: 8 << 20, writeB: up * baseWriteB}
		st.net[i] = netState{rx: up * baseNetRx * 20, tx: up * baseNetTx * 20}
		st.net[i].rxPk, st.net[i].txPk = st.net[i].rx/900, st.net[i].tx/900
	}
}

// fastForward advances the cumulative counters over k seconds in which
// nothing was generated (at idle rates); queues are emptied.
func (c *Cluster) fastForward(k int64) {
	st := &c.st
	f := float64(k)
	for i := range st.procs {
		p := &st.procs[i]
		p.utime += f * baseUtime * 4
		p.ktime += f * baseKtime * 3
		p.minflt += f * baseMinflt
		p.rchar += f * baseRchar * 5
		p.wchar += f * baseWchar * 5
		p.writeB += f * baseWriteB
		n := &st.net[i]
		n.rx += f * baseNetRx * 20
		n.tx += f * baseNetTx * 20
	}
	for i := range st.backlog {
		st.backlog[i] = 0
	}
}

// request is one HTTP request completing during the generated second.
type request struct {
	svc      *service
	ep       *endpoint
	pod      *pod // server pod; nil for an external service
	client   *pod // nil for a client outside the cluster
	clientIP string
	parent   int32
	t        int64 // completion time
	own      int64 // own processing time
	total    int64 // server-side latency
	status   int64
}

func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 40 {
		n := math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64())
		return int(max(n, 0))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

func pickEndpoint(r *rand.Rand, s *service) *endpoint {
	x := r.Float64() * s.cumW[len(s.cumW)-1]
	for i, w := range s.cumW {
		if x < w {
			return &s.endpoints[i]
		}
	}
	return &s.endpoints[len(s.endpoints)-1]
}

func endpointByPath(s *service, path string) *endpoint {
	for i := range s.endpoints {
		if s.endpoints[i].path == path {
			return &s.endpoints[i]
		}
	}
	return &s.endpoints[0]
}

// ephemeralPort is the stable client port of a (client, server) pair: the
// demo's clients keep their connections alive.
func ephemeralPort(seed uint64, client string, server int) int64 {
	h := fnv.New64a()
	h.Write([]byte(client))
	h.Write([]byte{byte(server), byte(server >> 8), byte(seed), byte(seed >> 8)})
	return 32768 + int64(h.Sum64()%28000)
}

var statusMessages = map[int64]string{
	200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable",
}

// second is the generation of one second's telemetry: its random source
// (seeded by the second, so the data of a second never depends on when it
// is generated) and the requests completing in it. The steps draw from r in
// a fixed order; changing that order changes the data.
type second struct {
	c        *Cluster
	r        *rand.Rand
	sec      int64
	base     int64 // the second's start, ns
	reqs     []request
	arrivals [][]int32 // per service, indices into reqs
	net      []int64   // per request, the client-side network overhead
}

// genSecond generates the telemetry of second sec.
func (c *Cluster) genSecond(sec int64) *chunk {
	g := &second{c: c, r: rand.New(rand.NewPCG(c.seed, uint64(sec))), sec: sec, base: sec * nsPerSec,
		arrivals: make([][]int32, len(c.svcs))}
	g.arrive()
	// Serve, callers before callees.
	for _, s := range c.svcs {
		g.serve(s)
	}
	g.latencies()
	g.completionTimes()

	ch := &chunk{sec: sec}
	hb := newTableBuilder(tHTTP)
	for i := range g.reqs {
		g.httpRows(hb, i)
	}
	g.probeRows(hb)
	ch.tabs[tHTTP] = hb.finish()
	g.protocolRows(ch)

	// Idle costs of every process, then the 10-second stats.
	g.idleCosts()
	if sec%10 == 0 {
		ch.tabs[tProcess] = c.processStats(g.r, g.base)
		ch.tabs[tConn] = c.connStats(g.base)
		ch.tabs[tNetwork] = c.networkStats(g.base)
	}
	return ch
}

// add queues a request at its service.
func (g *second) add(rq request) {
	g.reqs = append(g.reqs, rq)
	g.arrivals[rq.svc.idx] = append(g.arrivals[rq.svc.idx], int32(len(g.reqs)-1))
}

// arrive adds the traffic from outside, from the load generator and from
// the operator.
func (g *second) arrive() {
	c, r := g.c, g.r
	wave := 1 + 0.08*math.Sin(2*math.Pi*float64(g.sec)/300)
	for _, s := range c.svcs {
		if s.baseRPS > 0 {
			for range poisson(r, s.baseRPS*wave) {
				g.add(request{svc: s, ep: pickEndpoint(r, s), clientIP: externalClients[r.IntN(len(externalClients))], parent: -1})
			}
		}
		if extra := c.extraRPS(s, g.sec); extra > 0 {
			for range poisson(r, extra) {
				g.add(request{svc: s, ep: pickEndpoint(r, s), client: c.loadgen, clientIP: c.loadgen.info.IP, parent: -1})
			}
		}
	}
	// The operator polls the Kubernetes API every 5 s.
	if g.sec%5 == 0 {
		k := c.svcByName["kubernetes"]
		g.add(request{svc: k, ep: &k.endpoints[0], client: c.operator, clientIP: c.operator.info.IP, parent: -1})
	}
}

// queueing is what a service's queue does to the requests of one second.
type queueing struct {
	wq           float64 // mean M/M/1 waiting time, ns
	backlogDelay float64 // waiting behind the backlog, ns
	rejectP      float64 // the share rejected (503) for a full queue
}

// queue moves the backlog of service s by a arrivals (a > 0) and returns
// their queueing. External services have no queue.
func (g *second) queue(s *service, a float64) queueing {
	var q queueing
	if s.external {
		return q
	}
	st := &g.c.st
	b := st.backlog[s.idx]
	nb := b + a - s.capacity
	limit := s.capacity * maxQueueSeconds
	if nb > limit {
		q.rejectP = (nb - limit) / a
		nb = limit
	}
	nb = max(nb, 0)
	rho := min(a/s.capacity, maxUtilization)
	q.wq = rho / (1 - rho) / s.capacity * 1e9
	q.backlogDelay = (b + nb) / 2 / s.capacity * 1e9
	st.backlog[s.idx] = nb
	return q
}

// serve serves the requests that arrived at s; those served successfully
// call s's downstream services (which come later in c.svcs).
func (g *second) serve(s *service) {
	list := g.arrivals[s.idx]
	if len(list) == 0 {
		if !s.external {
			st := &g.c.st
			st.backlog[s.idx] = max(0, st.backlog[s.idx]-s.capacity)
		}
		return
	}
	q := g.queue(s, float64(len(list)))
	for _, i := range list {
		g.serveOne(s, i, q)
	}
}

// serveOne picks the server pod, the processing time and the status of
// request i, then adds its downstream calls.
func (g *second) serveOne(s *service, i int32, q queueing) {
	c, r := g.c, g.r
	rq := &g.reqs[i]
	if !s.external {
		rq.pod = s.pods[r.IntN(len(s.pods))]
	}
	if q.rejectP > 0 && r.Float64() < q.rejectP {
		rq.status = 503
		rq.own = int64(logNormal(r, 1.5e6, 0.4))
		rq.total = rq.own
		return
	}
	rq.own = int64(logNormal(r, float64(s.median)*rq.ep.scale, s.sigma))
	wait := q.wq*r.ExpFloat64() + q.backlogDelay*(0.8+0.4*r.Float64())
	rq.total = rq.own + int64(wait)
	rq.status = 200
	switch u := r.Float64(); {
	case u < rq.ep.errRate:
		rq.status = 500
	case u < rq.ep.errRate+rq.ep.clientErr:
		rq.status = rq.ep.clientStatus
	}
	if rq.status >= 400 && rq.status < 500 {
		return
	}
	for _, cl := range rq.ep.calls {
		callee := c.svcByName[cl.service]
		g.add(request{svc: callee, ep: endpointByPath(callee, cl.path), client: rq.pod, clientIP: rq.pod.info.IP, parent: i})
		rq = &g.reqs[i] // reqs may have grown
	}
}

// latencies draws each request's network overhead; a request waits for
// its downstream calls (children come after their parents in reqs).
func (g *second) latencies() {
	reqs := g.reqs
	g.net = make([]int64, len(reqs))
	for i := len(reqs) - 1; i >= 0; i-- {
		g.net[i] = int64(logNormal(g.r, netLatency, 0.5))
		if p := reqs[i].parent; p >= 0 {
			reqs[p].total += reqs[i].total + g.net[i]
		}
	}
}

// completionTimes places roots anywhere in the second, calls a little
// before their parent completes.
func (g *second) completionTimes() {
	for i := range g.reqs {
		rq := &g.reqs[i]
		if rq.parent < 0 {
			rq.t = g.base + g.r.Int64N(nsPerSec-int64(2*time.Millisecond))
		} else {
			p := &g.reqs[rq.parent]
			rq.t = max(g.base, p.t-g.r.Int64N(max(p.own/2, 1))-int64(time.Millisecond))
		}
	}
}

// httpRows adds the http_events rows of request i: one traced by the
// server pod, one by the client pod (each only when in the cluster), and
// accounts their costs.
func (g *second) httpRows(hb *tableBuilder, i int) {
	c, r := g.c, g.r
	rq := &g.reqs[i]
	msg := statusMessages[rq.status]
	respSize := int64(0)
	body := ""
	if rq.status == 200 {
		respSize = max(16, int64(float64(rq.ep.respSize)*(0.7+0.6*r.Float64())))
		body = rq.ep.respBody
	} else {
		body = `{"error":"` + msg + `"}`
		respSize = int64(len(body))
	}
	reqSize := int64(len(rq.ep.reqBody))
	headers := reqHeadersFmt + rq.svc.name + ":" + strconv.FormatInt(rq.svc.port, 10) + `"}`
	respHeaders := respHeadersJSON
	if rq.ep.path == "/" && rq.status == 200 {
		respHeaders = respHeadersHTML
	}
	serverIdx, serverIP := -1, rq.svc.ip
	if rq.pod != nil {
		serverIdx, serverIP = rq.pod.idx, rq.pod.info.IP
	}
	port := ephemeralPort(c.seed, rq.clientIP, serverIdx)
	encrypted := rq.svc.port == 443
	if rq.pod != nil {
		remote := rq.clientIP
		if r.Float64() < unresolvedRate {
			remote = "-"
		}
		appendHTTP(hb, rq.t, rq.pod.idx, remote, port, serverIP, rq.svc.port, 2, encrypted, headers, rq.ep, reqSize,
			respHeaders, rq.status, msg, body, respSize, rq.total)
		c.account(rq.pod.idx, rq.own, reqSize, respSize, 1)
		c.conn(rq.pod.idx, rq.clientIP, port, 2, encrypted, reqSize, respSize)
	}
	if rq.client != nil {
		net := g.net[i]
		t := min(rq.t+net/2, g.base+nsPerSec-1)
		appendHTTP(hb, t, rq.client.idx, serverIP, rq.svc.port, rq.client.info.IP, port, 1, encrypted, headers, rq.ep, reqSize,
			respHeaders, rq.status, msg, body, respSize, rq.total+net)
		c.account(rq.client.idx, rq.own/10, respSize, reqSize, 0)
		c.conn(rq.client.idx, serverIP, rq.svc.port, 1, encrypted, respSize, reqSize)
	}
}

// probeRows adds the kubelet health checks: /healthz and /readyz every
// 10 s per pod.
func (g *second) probeRows(hb *tableBuilder) {
	c := g.c
	for _, p := range c.pods {
		for k, path := range [2]string{"/healthz", "/readyz"} {
			if (g.sec+p.phase+int64(5*k))%10 != 0 {
				continue
			}
			t := g.base + int64(p.idx)*int64(3*time.Millisecond) + int64(k)*int64(time.Millisecond) + g.r.Int64N(int64(time.Millisecond))
			kubelet := nodeIPs[p.node]
			probe := &endpoint{method: "GET", path: path}
			appendHTTP(hb, t, p.idx, kubelet, ephemeralPort(c.seed, kubelet+path, p.idx), p.info.IP, p.svc.port, 2, false,
				probeHeaders, probe, 0, respHeadersText, 200, "OK", "ok", 2, int64(logNormal(g.r, probeMedian, 0.3)))
			c.account(p.idx, 200e3, 0, 2, 0)
		}
	}
}

// idleCosts adds one second of every process's idle costs.
func (g *second) idleCosts() {
	st := &g.c.st
	for i := range st.procs {
		p := &st.procs[i]
		p.utime += baseUtime * (0.8 + 0.4*g.r.Float64())
		p.ktime += baseKtime * (0.8 + 0.4*g.r.Float64())
		p.minflt += baseMinflt
		p.rchar += baseRchar
		p.wchar += baseWchar
		p.writeB += baseWriteB
		st.net[i].rx += baseNetRx
		st.net[i].tx += baseNetTx
		st.net[i].rxPk += 1
		st.net[i].txPk += 1
	}
}

func appendHTTP(b *tableBuilder, t int64, pod int, remote string, remotePort int64, local string, localPort, role int64,
	encrypted bool, headers string, ep *endpoint, reqSize int64, respHeaders string, status int64, msg, body string, respSize, latency int64) {
	contentType := int64(1) // JSON
	if ep.path == "/healthz" || ep.path == "/readyz" || ep.path == "/" {
		contentType = 0
	}
	b.int(0, t)
	b.pod(1, pod)
	b.str(2, remote)
	b.int(3, remotePort)
	b.str(4, local)
	b.int(5, localPort)
	b.int(6, role)
	b.bool(7, encrypted)
	b.int(8, 1)
	b.int(9, 1)
	b.int(10, contentType)
	b.str(11, headers)
	b.str(12, ep.method)
	b.str(13, ep.path)
	b.str(14, ep.reqBody)
	b.int(15, reqSize)
	b.str(16, respHeaders)
	b.int(17, status)
	b.str(18, msg)
	b.str(19, body)
	b.int(20, respSize)
	b.int(21, latency)
}

// account adds one request's cost to a process and its pod's network.
func (c *Cluster) account(pod int, ownNs int64, in, out int64, served float64) {
	p := &c.st.procs[pod]
	p.utime += float64(ownNs) * 0.22
	p.ktime += float64(ownNs)*0.06 + 40e3
	p.minflt += 0.3
	p.rchar += float64(in + 350)
	p.wchar += float64(out + 250)
	p.served += served
	n := &c.st.net[pod]
	n.rx += float64(in + 420)
	n.tx += float64(out + 380)
	n.rxPk += 2 + float64(in/1400)
	n.txPk += 2 + float64(out/1400)
}

// conn adds one request to a connection pair's counters.
func (c *Cluster) conn(pod int, remote string, remotePort, role int64, ssl bool, sent, recv int64) {
	k := connKey{pod: pod, remoteAddr: remote, remotePort: remotePort, role: role}
	cs := c.st.conns[k]
	if cs == nil {
		cs = &connState{pod: pod, remoteAddr: remote, remotePort: remotePort, role: role, ssl: ssl, open: 1}
		c.st.conns[k] = cs
		c.st.order = append(c.st.order, cs)
	}
	cs.sent += sent + 250
	cs.recv += recv + 350
	cs.reqs++
	cs.total++
	if cs.total%200 == 0 {
		cs.open++ // connections are recycled now and then
	}
}

func (c *Cluster) processStats(r *rand.Rand, base int64) *tchunk {
	b := newTableBuilder(tProcess)
	for i, p := range c.pods {
		ps := &c.st.procs[i]
		rps := ps.served / 10
		rss := p.rssBase * (1 + 0.004*rps + 0.01*r.NormFloat64()) * (1 << 20)
		b.int(0, base+int64(i)*int64(7*time.Millisecond))
		b.pod(1, i)
		b.int(2, int64(ps.majflt))
		b.int(3, int64(ps.minflt))
		b.int(4, int64(ps.utime))
		b.int(5, int64(ps.ktime))
		b.int(6, p.svc.threads+int64(rps/10))
		b.int(7, int64(rss*2.5)+700<<20)
		b.int(8, int64(rss))
		b.int(9, int64(ps.rchar))
		b.int(10, int64(ps.wchar))
		b.int(11, int64(ps.readB))
		b.int(12, int64(ps.writeB))
		ps.served = 0
	}
	return b.finish()
}

func (c *Cluster) connStats(base int64) *tchunk {
	b := newTableBuilder(tConn)
	for k, cs := range c.st.order {
		active := min(cs.open, 1+cs.reqs/200)
		b.int(0, base+int64(time.Second/2)+int64(k)*int64(time.Millisecond))
		b.pod(1, cs.pod)
		b.str(2, cs.remoteAddr)
		b.int(3, cs.remotePort)
		b.int(4, cs.role)
		b.int(5, 2) // AF_INET
		b.int(6, 1) // HTTP
		b.bool(7, cs.ssl)
		b.int(8, cs.open)
		b.int(9, cs.open-active)
		b.int(10, active)
		b.int(11, cs.sent)
		b.int(12, cs.recv)
		cs.reqs = 0
	}
	return b.finish()
}

func (c *Cluster) networkStats(base int64) *tchunk {
	b := newTableBuilder(tNetwork)
	for i, p := range c.pods {
		n := &c.st.net[i]
		b.int(0, base+int64(time.Second/4)+int64(i)*int64(time.Millisecond))
		b.str(1, p.info.ID)
		b.int(2, int64(n.rx))
		b.int(3, int64(n.rxPk))
		b.int(4, 0)
		b.int(5, 0)
		b.int(6, int64(n.tx))
		b.int(7, int64(n.txPk))
		b.int(8, 0)
		b.int(9, 0)
	}
	return b.finish()
}
