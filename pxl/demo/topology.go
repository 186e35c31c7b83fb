package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// serviceSpec describes one demo service.
type serviceSpec struct {
	name      string
	namespace string
	pods      int
	port      int64
	capacity  float64       // requests per second the service can serve
	median    time.Duration // median own processing time
	sigma     float64       // log-normal shape of the processing time
	baseRPS   float64       // traffic from outside the cluster
	external  bool          // not in the cluster (not traced as a server)
	ip        string        // external services only
	cmdline   string
	rssMB     float64
	threads   int64
	endpoints []endpoint
}

// endpoint is one route of a service.
type endpoint struct {
	method, path string
	weight       float64
	calls        []call // downstream calls made while serving it
	scale        float64
	errRate      float64 // 5xx (500)
	clientErr    float64 // 4xx
	clientStatus int64
	respSize     int64 // mean response body size
	reqBody      string
	respBody     string
}

type call struct {
	service string
	path    string
}

// topology is the demo cluster's services, in the order requests flow
// (callers before callees), so that one pass assigns every service its
// arrivals.
var topology = []*serviceSpec{
	{
		name: "frontend", namespace: "default", pods: 3, port: 8080, capacity: 200,
		median: 4 * time.Millisecond, sigma: 0.5, baseRPS: 20,
		cmdline: "/app/frontend --port=8080", rssMB: 96, threads: 24,
		endpoints: []endpoint{
			{method: "GET", path: "/", weight: 0.10, respSize: 5120, scale: 1, errRate: 0.001, clientErr: 0.02, clientStatus: 404,
				respBody: "<!doctype html><html><head><title>Demo shop</title>"},
			{method: "GET", path: "/api/orders", weight: 0.50, calls: []call{{"consumer", "/orders"}}, respSize: 1800, scale: 1, errRate: 0.002,
				respBody: `{"orders":[{"id":"o-1042","status":"shipped"},{"id":"o-1043","status":"pending"}]}`},
			{method: "GET", path: "/api/catalog", weight: 0.25, calls: []call{{"catalog", "/products"}}, respSize: 3400, scale: 1, errRate: 0.002,
				respBody: `{"products":[{"id":"p-17","name":"mug","price":12.5}]}`},
			{method: "POST", path: "/api/cart", weight: 0.15, calls: []call{{"cart", "/cart/items"}}, respSize: 240, scale: 1, errRate: 0.002, clientErr: 0.01, clientStatus: 400,
				reqBody: `{"product_id":"p-17","quantity":1}`, respBody: `{"cart_id":"c-88","items":3}`},
		},
	},
	{
		name: "consumer", namespace: "default", pods: 2, port: 8080, capacity: 50,
		median: 45 * time.Millisecond, sigma: 0.35,
		cmdline: "/app/consumer --queue=orders", rssMB: 210, threads: 32,
		endpoints: []endpoint{
			{method: "GET", path: "/orders", weight: 1, calls: []call{{"producer", "/produce"}}, respSize: 1600, scale: 1, errRate: 0.002, clientErr: 0.003, clientStatus: 400,
				respBody: `{"orders":[{"id":"o-1042","status":"shipped"},{"id":"o-1043","status":"pending"}]}`},
		},
	},
	{
		name: "cart", namespace: "default", pods: 2, port: 7070, capacity: 120,
		median: 7 * time.Millisecond, sigma: 0.45,
		cmdline: "/app/cart --redis=cart-redis:6379", rssMB: 64, threads: 12,
		endpoints: []endpoint{
			{method: "POST", path: "/cart/items", weight: 1, respSize: 180, scale: 1, errRate: 0.003,
				reqBody: `{"product_id":"p-17","quantity":1}`, respBody: `{"cart_id":"c-88","items":3}`},
		},
	},
	{
		name: "catalog", namespace: "default", pods: 2, port: 3550, capacity: 150,
		median: 10 * time.Millisecond, sigma: 0.45,
		cmdline: "/app/catalog --port=3550", rssMB: 128, threads: 16,
		endpoints: []endpoint{
			{method: "GET", path: "/products", weight: 1, respSize: 3200, scale: 1, errRate: 0.002,
				respBody: `{"products":[{"id":"p-17","name":"mug","price":12.5}]}`},
		},
	},
	{
		name: "producer", namespace: "default", pods: 2, port: 9090, capacity: 250,
		median: 22 * time.Millisecond, sigma: 0.4,
		cmdline: "/app/producer --topic=orders", rssMB: 150, threads: 20,
		endpoints: []endpoint{
			{method: "GET", path: "/produce", weight: 1, respSize: 900, scale: 1, errRate: 0.002,
				respBody: `{"batch":[{"id":"o-1042"},{"id":"o-1043"}],"count":2}`},
		},
	},
	{
		name: "loadgen", namespace: "default", pods: 1, port: 8089, capacity: 1000,
		median: time.Millisecond, sigma: 0.3,
		cmdline: "/usr/local/bin/locust --headless", rssMB: 180, threads: 8,
	},
	{
		name: "vizier-operator", namespace: "px-operator", pods: 1, port: 8443, capacity: 100,
		median: time.Millisecond, sigma: 0.3,
		cmdline: "/manager --metrics-addr=:8080", rssMB: 48, threads: 14,
	},
	{
		name: "kubernetes", namespace: "default", external: true, ip: "10.96.0.1", port: 443,
		capacity: 1000, median: 12 * time.Millisecond, sigma: 0.4,
		endpoints: []endpoint{
			{method: "GET", path: "/apis/px.dev/v1alpha1/viziers", weight: 1, respSize: 2100, scale: 1,
				respBody: `{"apiVersion":"px.dev/v1alpha1","items":[{"kind":"Vizier","metadata":{"name":"pixie"}}],"kind":"VizierList"}`},
		},
	},
}

// nodeNames are the demo cluster's nodes; nodeIPs their (kubelet) IPs.
var (
	nodeNames = []string{"demo-pool-1-a3f9", "demo-pool-1-b7k2", "demo-pool-1-c4m8"}
	nodeIPs   = []string{"10.128.0.11", "10.128.0.12", "10.128.0.13"}
)

// externalClients are the IPs frontend traffic comes from.
var externalClients = []string{"203.0.113.17", "203.0.113.42", "198.51.100.8", "198.51.100.23", "192.0.2.61"}

// service is a demo service with its pods.
type service struct {
	*serviceSpec
	idx  int
	pods []*pod
	cumW []float64 // cumulative endpoint weights
}

// pod is one demo pod with its single traced process.
type pod struct {
	svc     *service
	idx     int // index in Cluster.pods
	info    *pxl.Pod
	proc    *pxl.Process
	upid    pxl.U128
	node    int
	phase   int64 // health-probe phase (seconds)
	rssBase float64
}

const podNameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func randName(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = podNameAlphabet[r.IntN(len(podNameAlphabet))]
	}
	return string(b)
}

// buildTopology creates the services, pods, processes and metadata for a
// seed. Pods start an hour before start.
func buildTopology(seed uint64, start int64) ([]*service, []*pod, *pxl.Metadata) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var svcs []*service
	var pods []*pod
	var infos []*pxl.Pod
	var procs []*pxl.Process
	ipNext := [3]int{10, 10, 10}
	nodeNext := 0
	for i, spec := range topology {
		s := &service{serviceSpec: spec, idx: i}
		w := 0.0
		for _, ep := range spec.endpoints {
			w += ep.weight
			s.cumW = append(s.cumW, w)
		}
		svcs = append(svcs, s)
		if spec.external {
			continue
		}
		hash := randName(r, 9)
		for k := 0; k < spec.pods; k++ {
			node := nodeNext % len(nodeNames)
			nodeNext++
			name := fmt.Sprintf("%s-%s-%s", spec.name, hash, randName(r, 5))
			ip := fmt.Sprintf("10.244.%d.%d", node+1, ipNext[node])
			ipNext[node]++
			startTime := start - int64(time.Hour) - int64(r.IntN(3600))*int64(time.Second)
			pid := int64(1000 + r.IntN(30000))
			// A UPID packs the agent's short id (the node) and the pid in
			// High, the process start time in clock ticks (1/100 s) in Low.
			upid := pxl.U128{High: uint64(node+1)<<32 | uint64(pid), Low: uint64(startTime / int64(10*time.Millisecond))}
			info := &pxl.Pod{
				ID:        fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)),
				Name:      name,
				Namespace: spec.namespace,
				Node:      nodeNames[node],
				IP:        ip,
				Services:  []string{spec.name},
				StartTime: startTime,
			}
			proc := &pxl.Process{
				UPID:          upid,
				Cmdline:       spec.cmdline,
				PodID:         info.ID,
				ContainerName: spec.name,
				ContainerID:   fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
			}
			p := &pod{svc: s, idx: len(pods), info: info, proc: proc, upid: upid, node: node,
				phase: int64(r.IntN(10)), rssBase: spec.rssMB * (0.9 + 0.2*r.Float64())}
			s.pods = append(s.pods, p)
			pods = append(pods, p)
			infos = append(infos, info)
			procs = append(procs, proc)
		}
	}
	return svcs, pods, pxl.NewMetadata(infos, procs)
}
