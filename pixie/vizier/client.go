package vizier

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	gproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// DefaultCloudAddr is the Pixie Community Cloud's gRPC address.
const DefaultCloudAddr = "work.withpixie.ai:443"

// DefaultMaxRecvBytes is the receive limit for one gRPC message. Row
// batches can exceed gRPC's 4 MiB default by far.
const DefaultMaxRecvBytes = 256 << 20

// DefaultHealthTimeout bounds one health check, and one cluster listing
// through the cloud, when Config.HealthTimeout is 0: a Vizier that accepts
// connections but never answers must not hold GET /v1/clusters for the
// whole query timeout.
const DefaultHealthTimeout = 5 * time.Second

// Config says how to reach Pixie. Exactly one mode applies: DirectAddr set
// means a direct connection to a Vizier; otherwise CloudAddr (default
// DefaultCloudAddr) is used with TLS and the API key.
type Config struct {
	CloudAddr  string // Pixie Cloud host:port
	DirectAddr string // a Vizier's host:port, instead of the cloud
	Plaintext  bool   // direct mode only: no TLS
	APIKey     string // sent as pixie-api-key metadata; never logged
	CAFile     string // PEM roots to trust instead of the system pool
	SkipVerify bool   // do not verify the server certificate (in-cluster addresses)
	ClusterID  string // default cluster for requests that name none
	// MaxRecvBytes caps one received message; 0 means DefaultMaxRecvBytes.
	MaxRecvBytes int
	// DialOptions are appended to the client's own (tests, instrumentation).
	DialOptions []grpc.DialOption
	// Encrypt turns on end-to-end encryption of result batches: every query
	// sends encryption_options with the public half of a key only this
	// Client holds, and Vizier encrypts each row batch to it, so nothing
	// between Vizier and the gateway (Pixie Cloud's proxy included) can read
	// results. It fails closed: a plain batch, or one that does not decrypt,
	// ends the query with a KindProtocol error. Whether it is on (Pixie's own
	// client turns it on for cloud connections) is for the caller's
	// configuration to decide, not this package. See encrypt.go for the key's
	// life cycle.
	Encrypt bool
	// HealthTimeout bounds each health check and cluster listing; 0 means
	// DefaultHealthTimeout.
	HealthTimeout time.Duration
	// MutationRetry is the first wait before running a mutating script
	// (pxtrace) again while Vizier reports its tracepoints not ready; it
	// doubles up to MaxMutationRetry. 0 means DefaultMutationRetry.
	MutationRetry time.Duration
	// KeyBits is the RSA key size for Encrypt; 0 means DefaultKeyBits.
	// Less than MinKeyBits is refused by New.
	KeyBits int
}

// Direct reports whether the configuration connects straight to a Vizier.
func (c Config) Direct() bool { return c.DirectAddr != "" }

// Addr is the address dialled.
func (c Config) Addr() string {
	switch {
	case c.DirectAddr != "":
		return c.DirectAddr
	case c.CloudAddr != "":
		return c.CloudAddr
	default:
		return DefaultCloudAddr
	}
}

// Client runs queries on Pixie. It is safe for concurrent use; one Client
// (one HTTP/2 connection) serves the whole gateway. Close it last, after the
// HTTP server has drained.
type Client struct {
	cfg     Config
	conn    *grpc.ClientConn
	vizier  vizierpb.VizierServiceClient
	cluster cloudpb.VizierClusterInfoClient
	scripts cloudpb.ScriptMgrClient
	keys    *batchKeys // nil unless cfg.Encrypt
}

// receiveBuffers holds the buffers received messages are assembled in
// (receiveCodec): gRPC's default pool has no size between 32 KiB and
// 1 MiB and clears a buffer's whole capacity when it hands it out, so
// every row batch (tens of KiB) cost clearing 1 MiB. A tier at every power
// of two clears about what the message needs.
var receiveBuffers = func() mem.BufferPool {
	pool, err := mem.NewBinaryTieredBufferPool(8, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
	if err != nil {
		panic(err) // the exponents are constants: fails only if gRPC changed its rules
	}
	return pool
}()

// receiveCodec is gRPC's protobuf codec, except that a received message
// spanning several frames is assembled in receiveBuffers rather than in
// gRPC's default pool.
type receiveCodec struct{ encoding.CodecV2 }

// Unmarshal implements encoding.CodecV2.
func (c receiveCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(receiveBuffers)
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m) // (copies what it keeps)
}

// New prepares a client. It does not connect: the connection is made on
// first use, so a Pixie outage at start-up does not stop the gateway. With
// cfg.Encrypt it starts generating the client's RSA key in the background;
// the first query waits for it.
func New(cfg Config) (*Client, error) {
	keyBits := cfg.KeyBits
	if keyBits == 0 {
		keyBits = DefaultKeyBits
	}
	if cfg.Encrypt && keyBits < MinKeyBits {
		return nil, fmt.Errorf("pixie: encryption key size %d bits is below the minimum of %d", keyBits, MinKeyBits)
	}
	creds, err := transportCredentials(cfg)
	if err != nil {
		return nil, err
	}
	maxRecv := cfg.MaxRecvBytes
	if maxRecv <= 0 {
		maxRecv = DefaultMaxRecvBytes
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(apiKeyCreds{key: cfg.APIKey, secure: !(cfg.Direct() && cfg.Plaintext)}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecv)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(receiveCodec{encoding.GetCodecV2(gproto.Name)})),
	}
	opts = append(opts, cfg.DialOptions...)
	conn, err := grpc.NewClient(cfg.Addr(), opts...)
	if err != nil {
		return nil, fmt.Errorf("pixie: address %q: %w", cfg.Addr(), err)
	}
	c := &Client{
		cfg:     cfg,
		conn:    conn,
		vizier:  vizierpb.NewVizierServiceClient(conn),
		cluster: cloudpb.NewVizierClusterInfoClient(conn),
		scripts: cloudpb.NewScriptMgrClient(conn),
	}
	if cfg.Encrypt {
		c.keys = newBatchKeys(keyBits, maxRecv)
	}
	return c, nil
}

// Config returns the configuration the client was made with.
func (c *Client) Config() Config { return c.cfg }

// Close closes the connection; in-flight calls fail. A key generation
// still running (Config.Encrypt) finishes on its own and is then dropped.
func (c *Client) Close() error { return c.conn.Close() }

func transportCredentials(cfg Config) (credentials.TransportCredentials, error) {
	if cfg.Direct() && cfg.Plaintext {
		return insecure.NewCredentials(), nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.SkipVerify} //nolint:gosec // opt-in for in-cluster addresses
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("pixie: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("pixie: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return credentials.NewTLS(tc), nil
}

// apiKeyCreds puts the client headers Pixie expects on every call.
type apiKeyCreds struct {
	key    string
	secure bool
}

func (a apiKeyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	md := map[string]string{"pixie-api-client": "go"}
	if a.key != "" {
		md["pixie-api-key"] = a.key
	}
	return md, nil
}

// RequireTransportSecurity is false only for an explicitly plaintext direct
// connection (standalone Pixie, tests).
func (a apiKeyCreds) RequireTransportSecurity() bool { return a.secure }

func (c *Client) clusterID(id string) string {
	if id != "" {
		return id
	}
	return c.cfg.ClusterID
}

// checkCluster refuses, in direct mode, a cluster other than the configured
// one: a Vizier dialled directly answers whatever cluster_id it is sent,
// so the answer would be another cluster's data under the name asked for.
func (c *Client) checkCluster(id string) error {
	if !c.cfg.Direct() || id == "" || strings.EqualFold(id, c.cfg.ClusterID) {
		return nil
	}
	if c.cfg.ClusterID == "" {
		return errorf(pixie.KindNotFound, nil, "cluster %s: the gateway talks directly to one Vizier, whose cluster id is not configured (PIXIE_CLUSTER_ID); leave cluster_id out", id)
	}
	return errorf(pixie.KindNotFound, nil, "cluster %s: the gateway talks directly to one Vizier, cluster %s; leave cluster_id out or name that one", id, c.cfg.ClusterID)
}

// Health asks the cluster's Vizier whether it can serve queries. It returns
// nil when healthy, an *Error otherwise.
func (c *Client) Health(ctx context.Context, clusterID string) error {
	if err := c.checkCluster(clusterID); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the health stream stays open on a real Vizier: stop it after the first answer
	stream, err := c.vizier.HealthCheck(ctx, &vizierpb.HealthCheckRequest{ClusterId: c.clusterID(clusterID)})
	if err != nil {
		return fromRPC(ctx, "health check", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return fromRPC(ctx, "health check", err)
	}
	if st := resp.GetStatus(); st.GetCode() != 0 {
		return errorf(pixie.KindUnavailable, nil, "health check: vizier unhealthy: %s (code %d)", st.GetMessage(), st.GetCode())
	}
	return nil
}

// Clusters lists the clusters visible to the API key (cloud mode). In
// direct mode there is one cluster, the Vizier dialled, whose status comes
// from its health check.
func (c *Client) Clusters(ctx context.Context) ([]pixie.Cluster, error) {
	timeout := c.cfg.HealthTimeout
	if timeout <= 0 {
		timeout = DefaultHealthTimeout
	}
	bounded, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if c.cfg.Direct() {
		cl := pixie.Cluster{ID: c.cfg.ClusterID, Name: c.cfg.DirectAddr, Status: "CS_HEALTHY", Queryable: true}
		if err := c.Health(bounded, ""); err != nil {
			if ctx.Err() != nil { // the caller's own deadline or cancellation
				return nil, err
			}
			msg := err.Error()
			if pixie.KindOf(err) == pixie.KindTimeout {
				msg = fmt.Sprintf("health check: vizier %s did not answer within %s", c.cfg.DirectAddr, timeout)
			}
			cl.Status, cl.Queryable, cl.StatusMessage = "CS_UNHEALTHY", false, msg
		}
		return []pixie.Cluster{cl}, nil
	}
	resp, err := c.cluster.GetClusterInfo(bounded, &cloudpb.GetClusterInfoRequest{})
	if err != nil {
		if ctx.Err() == nil && bounded.Err() != nil {
			return nil, errorf(pixie.KindUnavailable, err, "list clusters: Pixie Cloud %s did not answer within %s", c.cfg.Addr(), timeout)
		}
		return nil, fromRPC(ctx, "list clusters", err)
	}
	out := make([]pixie.Cluster, 0, len(resp.GetClusters()))
	for _, ci := range resp.GetClusters() {
		cl := pixie.Cluster{
			ID:                   FormatUUID(ci.GetId()),
			Name:                 ci.GetClusterName(),
			PrettyName:           ci.GetPrettyClusterName(),
			Status:               ci.GetStatus().String(),
			StatusMessage:        ci.GetStatusMessage(),
			Queryable:            ci.GetStatus() == cloudpb.ClusterStatus_CS_HEALTHY || ci.GetStatus() == cloudpb.ClusterStatus_CS_CONNECTED,
			VizierVersion:        ci.GetVizierVersion(),
			NumNodes:             ci.GetNumNodes(),
			NumInstrumentedNodes: ci.GetNumInstrumentedNodes(),
		}
		if hb := ci.GetLastHeartbeatNs(); hb > 0 {
			cl.LastHeartbeat = time.Duration(hb)
		}
		out = append(out, cl)
	}
	return out, nil
}
