package fakevizier

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// Metadata keys Pixie clients send on every call.
const (
	// APIKeyHeader carries the Pixie API key.
	APIKeyHeader = "pixie-api-key"
	// ClientHeader names the client library ("go", "python").
	ClientHeader = "pixie-api-client"
)

// DefaultAddr is where Start listens when Options.Addr is empty: an
// ephemeral loopback port.
const DefaultAddr = "127.0.0.1:0"

// Options configure a Server. The zero value is a plaintext server without
// authentication that answers for any cluster, has no clusters or library
// scripts to list, and runs queries with DefaultHandler.
type Options struct {
	// Addr is the listen address; empty means DefaultAddr.
	Addr string

	// APIKey, when non-empty, is required on every call as the
	// pixie-api-key metadata value (compared in constant time). A missing or
	// different key fails with codes.Unauthenticated and a message starting
	// "Auth middleware failed:", as Pixie Cloud answers.
	APIKey string

	// RequireClientHeader makes every call without pixie-api-client
	// metadata fail with codes.InvalidArgument.
	RequireClientHeader bool

	// TLS, when set, serves TLS with this configuration (gRPC adds the h2
	// ALPN protocol); otherwise the server is plaintext.
	TLS *tls.Config

	// ClusterID, when set, is the only cluster the fake answers for: an
	// ExecuteScript or HealthCheck request with an empty cluster_id fails
	// with codes.InvalidArgument, one with another id with codes.NotFound.
	// When empty, any cluster_id is accepted.
	ClusterID string

	// Clusters are listed by VizierClusterInfo.GetClusterInfo (see
	// MustClusterInfo). They are independent of ClusterID.
	Clusters []*cloudpb.ClusterInfo

	// Scripts are the script library served by ScriptMgr.
	Scripts []LibraryScript
	// LibraryHang makes ScriptMgr's calls wait until the client gives up
	// (SetLibraryHang changes it at run time).
	LibraryHang bool

	// Handler answers ExecuteScript; nil means DefaultHandler. SetHandler
	// replaces it at run time.
	Handler Handler

	// NoRecording turns Requests off, for long-running use (the demo
	// cluster) where an ever-growing record would leak memory.
	NoRecording bool

	// Health is the status HealthCheck reports; nil means healthy (code 0).
	// SetHealth replaces it at run time.
	Health *vizierpb.Status
}

// Recorded is one ExecuteScript call as the server received it.
type Recorded struct {
	// Req is a copy of the request.
	Req *vizierpb.ExecuteScriptRequest
	// Metadata is a copy of the incoming gRPC metadata (keys lower-case).
	Metadata metadata.MD
	// Done reports whether the server has finished the stream.
	Done bool
	// Cancelled reports whether the stream ended because the client's
	// context was cancelled (or its deadline passed) or the server closed.
	Cancelled bool
	// Err is what the server returned for the stream (nil: normal end).
	Err error
}

// Server is a fake Vizier (and the cloud-side cluster and script services)
// serving gRPC on a local address. Its methods are safe for concurrent use.
// Create it with Start and stop it with Close.
type Server struct {
	opts     Options
	lis      net.Listener
	srv      *grpc.Server
	served   chan struct{} // closed when Serve has returned
	closing  chan struct{} // closed by Close; releases hanging streams
	closeOne sync.Once

	mu      sync.Mutex
	closed  bool
	calls   sync.WaitGroup // running RPC handlers; Add only under mu while !closed
	handler Handler
	health  *vizierpb.Status
	records []Recorded
	// resumables are queries broken by Plan.ResetAfter, by query id.
	resumables map[string]*resumable
	active     int           // running ExecuteScript streams
	idle       chan struct{} // closed when active drops to 0

	libraryHang atomic.Bool // Options.LibraryHang, or SetLibraryHang's
}

// Start listens on opts.Addr (default DefaultAddr) and serves in a
// goroutine until Close. Tests typically do:
//
//	s, err := fakevizier.Start(opts)
//	if err != nil { t.Fatal(err) }
//	t.Cleanup(s.Close)
func Start(opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	// Keep our own copy of what the caller may still hold.
	opts.Scripts = append([]LibraryScript(nil), opts.Scripts...)
	if err := parseVis(opts.Scripts); err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakevizier: listen: %w", err)
	}
	s := &Server{
		lis:     lis,
		served:  make(chan struct{}),
		closing: make(chan struct{}),
		handler: opts.Handler,
		health:  opts.Health,
		idle:    make(chan struct{}),
	}
	close(s.idle)
	s.libraryHang.Store(opts.LibraryHang)
	// Keep our own copies of what the caller may still hold.
	opts.Clusters = cloneAll(opts.Clusters)
	s.opts = opts

	sopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}
	if opts.TLS != nil {
		sopts = append(sopts, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}
	s.srv = grpc.NewServer(sopts...)
	vizierpb.RegisterVizierServiceServer(s.srv, &vizierService{s: s})
	cloudpb.RegisterVizierClusterInfoServer(s.srv, &clusterInfoService{s: s})
	cloudpb.RegisterScriptMgrServer(s.srv, &scriptMgrService{s: s})

	go func() {
		defer close(s.served)
		// Serve returns nil after Stop; other errors end serving, and
		// calls then fail on the client side.
		_ = s.srv.Serve(lis)
	}()
	return s, nil
}

// Addr returns the address the server listens on (host:port).
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Close stops the server: it refuses new calls, cancels running streams
// (hanging ones fail with codes.Unavailable), closes every connection and
// waits until all handlers have returned. It is idempotent.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		s.srv.Stop()
		s.calls.Wait()
		<-s.served
	})
}

// SetHandler replaces the ExecuteScript handler for calls that start from
// now on; nil restores DefaultHandler.
func (s *Server) SetHandler(h Handler) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// SetLibraryHang makes ScriptMgr's calls hang (or answer again).
func (s *Server) SetLibraryHang(hang bool) { s.libraryHang.Store(hang) }

// SetHealth replaces the status HealthCheck reports to new health streams;
// nil means healthy.
func (s *Server) SetHealth(st *vizierpb.Status) {
	s.mu.Lock()
	s.health = st
	s.mu.Unlock()
}

// Requests returns a copy of every ExecuteScript call received so far (that
// passed authentication), oldest first.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.records))
	for i, r := range s.records {
		r.Req = proto.Clone(r.Req).(*vizierpb.ExecuteScriptRequest)
		r.Metadata = r.Metadata.Copy()
		out[i] = r
	}
	return out
}

// ActiveStreams returns the number of ExecuteScript streams whose server
// side is still running. It drops when a stream ends for any reason,
// including the client cancelling its context.
func (s *Server) ActiveStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// WaitIdle waits until no ExecuteScript stream is running, or ctx is done.
func (s *Server) WaitIdle(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) currentHandler() Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler == nil {
		return DefaultHandler
	}
	return s.handler
}

func (s *Server) currentHealth() *vizierpb.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health == nil {
		return &vizierpb.Status{}
	}
	return proto.Clone(s.health).(*vizierpb.Status)
}

// record stores a received request and returns its index.
func (s *Server) record(req *vizierpb.ExecuteScriptRequest, md metadata.MD) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.NoRecording {
		return -1
	}
	s.records = append(s.records, Recorded{
		Req:      proto.Clone(req).(*vizierpb.ExecuteScriptRequest),
		Metadata: md.Copy(),
	})
	return len(s.records) - 1
}

func (s *Server) finish(i int, err error, cancelled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 {
		return
	}
	s.records[i].Done = true
	s.records[i].Err = err
	s.records[i].Cancelled = cancelled
}

func (s *Server) streamStarted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == 0 {
		s.idle = make(chan struct{})
	}
	s.active++
}

func (s *Server) streamEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 {
		close(s.idle)
	}
}

// enter admits one call: it refuses calls once Close has begun and checks
// the credentials. On success the caller must call the returned release.
func (s *Server) enter(ctx context.Context) (release func(), err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if err := s.authorize(md); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, status.Error(codes.Unavailable, "fakevizier: server is closing")
	}
	s.calls.Add(1)
	return s.calls.Done, nil
}

func (s *Server) authorize(md metadata.MD) error {
	if s.opts.APIKey != "" {
		keys := md.Get(APIKeyHeader)
		if len(keys) == 0 || keys[0] == "" {
			return status.Error(codes.Unauthenticated, "Auth middleware failed: no API key in request")
		}
		if subtle.ConstantTimeCompare([]byte(keys[0]), []byte(s.opts.APIKey)) != 1 {
			return status.Error(codes.Unauthenticated, "Auth middleware failed: invalid API key")
		}
	}
	if s.opts.RequireClientHeader && len(md.Get(ClientHeader)) == 0 {
		return status.Error(codes.InvalidArgument, "missing "+ClientHeader+" metadata")
	}
	return nil
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	release, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return h(ctx, req)
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	release, err := s.enter(ss.Context())
	if err != nil {
		return err
	}
	defer release()
	return h(srv, ss)
}

// checkCluster applies Options.ClusterID to a request's cluster_id.
func (s *Server) checkCluster(id string) error {
	switch {
	case s.opts.ClusterID == "":
		return nil
	case id == "":
		return status.Error(codes.InvalidArgument, "cluster_id is required")
	case id != s.opts.ClusterID:
		return status.Errorf(codes.NotFound, "cluster %s not found", id)
	}
	return nil
}

// waitErr turns the reason a wait ended into the error a stream returns.
func waitErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, "fakevizier: server is closing")
}

func cloneAll[M proto.Message](ms []M) []M {
	out := make([]M, len(ms))
	for i, m := range ms {
		out[i] = proto.Clone(m).(M)
	}
	return out
}
