package vizier_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// testKeyBits keeps key generation fast in tests (production uses 4096).
const testKeyBits = 2048

// startEncrypted runs a fake Vizier and an encrypting client to it.
func startEncrypted(t *testing.T, h fakevizier.Handler, edit func(*vizier.Config)) (*fakevizier.Server, *vizier.Client) {
	t.Helper()
	s, _ := start(t, h)
	cfg := vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster, Encrypt: true, KeyBits: testKeyBits}
	if edit != nil {
		edit(&cfg)
	}
	return s, newClient(t, cfg)
}

// compressible is a table whose batches deflate far better than 10:1 and
// inflate past 250 kB: go-jose's Decrypt would refuse them.
func compressible(name string, n int) *fakevizier.Table {
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = bytes.Repeat([]byte(`{"Content-Type":"application/json"}`), 30) // ~1 KiB
	}
	return fakevizier.NewTable(name, fakevizier.BytesCol("resp_headers", pixie.STNone, vals...))
}

// contents is a query result without the per-query table ids.
type contents struct {
	Name    string
	Columns []pixie.ColumnInfo
	Cols    []pixie.ColumnData
	Rows    int
}

func collected(col *pixie.Collector) []contents {
	var out []contents
	for _, tb := range col.Tables {
		out = append(out, contents{Name: tb.Meta.Name, Columns: tb.Meta.Columns, Cols: tb.Cols, Rows: tb.NumRows})
	}
	return out
}

func TestEncryptedResultEqualsPlainResult(t *testing.T) {
	t.Parallel()
	plan := &fakevizier.Plan{
		Tables:         []*fakevizier.Table{allTypes("output", 2500), allTypes("other", 7), compressible("headers", 1024)},
		BatchRows:      1000,
		EmptyLastBatch: true,
	}
	s, enc := startEncrypted(t, fakevizier.StaticHandler(plan), nil)
	plain := newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster})

	var want, got pixie.Collector
	if _, err := plain.Execute(t.Context(), pixie.Request{Script: script}, &want); err != nil {
		t.Fatal(err)
	}
	sum, err := enc.Execute(t.Context(), pixie.Request{Script: script}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if sum.QueryID == "" || sum.Stats.RecordsProcessed != 2500+7+1024 {
		t.Errorf("summary %+v, want a query id and %d records", sum, 2500+7+1024)
	}
	if g, w := collected(&got), collected(&want); !reflect.DeepEqual(g, w) {
		t.Errorf("the encrypted result differs from the plain one")
	}
	if n := len(got.Tables); n != 3 || got.Tables[0].NumRows != 2500 || got.Tables[2].NumRows != 1024 {
		t.Errorf("got %d tables, want 3 with all their rows", n)
	}

	// A second query reuses the client's key.
	if _, err := enc.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{}); err != nil {
		t.Fatal(err)
	}
	recs := s.Requests()
	if len(recs) != 3 {
		t.Fatalf("got %d requests, want 3", len(recs))
	}
	if o := recs[0].Req.GetEncryptionOptions(); o != nil {
		t.Errorf("the plain client sent encryption_options %v", o)
	}
	o := recs[1].Req.GetEncryptionOptions()
	if o.GetKeyAlg() != "RSA-OAEP-256" || o.GetContentAlg() != "A256GCM" || o.GetCompressionAlg() != "DEF" {
		t.Errorf("encryption_options algorithms = %q %q %q, want RSA-OAEP-256 A256GCM DEF", o.GetKeyAlg(), o.GetContentAlg(), o.GetCompressionAlg())
	}
	if again := recs[2].Req.GetEncryptionOptions(); again.GetJwkKey() != o.GetJwkKey() {
		t.Error("the second query sent another key; want one key per client")
	}
	checkPublicJWK(t, o.GetJwkKey())
}

// checkPublicJWK checks that s is an RSA public JWK of testKeyBits bits
// and carries no private member.
func checkPublicJWK(t *testing.T, s string) {
	t.Helper()
	var members map[string]any
	if err := json.Unmarshal([]byte(s), &members); err != nil {
		t.Fatalf("jwk_key is not a JSON object: %v", err)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := members[private]; ok {
			t.Errorf("jwk_key carries the private member %q", private)
		}
	}
	if members["kty"] != "RSA" {
		t.Errorf("jwk_key kty = %v, want RSA", members["kty"])
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatalf("jwk_key does not parse: %v", err)
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok || !jwk.IsPublic() || !jwk.Valid() {
		t.Fatalf("jwk_key is a %T (public %v), want a valid RSA public key", jwk.Key, jwk.IsPublic())
	}
	if pub.N.BitLen() != testKeyBits {
		t.Errorf("key has %d bits, want %d", pub.N.BitLen(), testKeyBits)
	}
}

func TestEncryptionFailsClosed(t *testing.T) {
	t.Parallel()
	tables := []*fakevizier.Table{allTypes("output", 10)}
	plans := map[string]*fakevizier.Plan{
		"ignored":  {Tables: tables, BatchRows: 4, Encryption: fakevizier.EncryptionIgnored},
		"garbage":  {Tables: tables, BatchRows: 4, Encryption: fakevizier.EncryptionGarbage},
		"tampered": {Tables: tables, BatchRows: 4, Encryption: fakevizier.EncryptionTampered},
	}
	// One server and one encrypting client (one key) for every case; the
	// query name picks the plan.
	byName := func(_ context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
		return plans[req.GetQueryName()]
	}
	s, enc := startEncrypted(t, byName, nil)
	plain := newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster})
	tests := []struct {
		name   string
		client *vizier.Client
		plan   string
		want   string
	}{
		{"a plain batch although encryption was requested", enc, "ignored", "vizier sent an unencrypted batch although encryption was requested: this Vizier (or a proxy on the way) does not encrypt results. Set PIXIE_E2E_ENCRYPTION=off"},
		{"garbage ciphertext", enc, "garbage", "cannot decrypt an encrypted batch"},
		{"ciphertext that fails authentication", enc, "tampered", "authentication failed"},
		{"an encrypted batch without encryption", plain, "garbage", "encryption was not requested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var col pixie.Collector
			_, err := tc.client.Execute(t.Context(), pixie.Request{Script: script, QueryName: tc.plan}, &col)
			if got := pixie.KindOf(err); got != pixie.KindProtocol {
				t.Fatalf("got kind %v (%v), want protocol", got, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if len(col.Tables) != 1 || col.Tables[0].TotalRows != 0 {
				t.Errorf("rows reached the sink: %+v", col.Tables)
			}
		})
	}
}

// algSwap rewrites the outgoing request's key_alg, as a client asking for
// an algorithm Vizier does not support would.
type algSwap struct {
	grpc.ClientStream
	alg string
}

func (s algSwap) SendMsg(m any) error {
	if req, ok := m.(*vizierpb.ExecuteScriptRequest); ok && req.GetEncryptionOptions() != nil {
		req.EncryptionOptions.KeyAlg = s.alg
	}
	return s.ClientStream.SendMsg(m)
}

func TestUnsupportedEncryptionAlgorithmIsRefused(t *testing.T) {
	t.Parallel()
	swap := grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		return algSwap{ClientStream: cs, alg: "RSA1_5"}, nil
	})
	s, c := startEncrypted(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 3)}}),
		func(cfg *vizier.Config) { cfg.DialOptions = []grpc.DialOption{swap} })
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	if got := pixie.KindOf(err); got != pixie.KindInvalidArgument || !strings.Contains(err.Error(), "key_alg") {
		t.Fatalf("got kind %v (%v), want invalid_argument about key_alg", got, err)
	}
	if recs := s.Requests(); len(recs) != 1 || recs[0].Req.GetEncryptionOptions().GetKeyAlg() != "RSA1_5" {
		t.Errorf("the fake did not see the swapped algorithm: %+v", recs)
	}
}

func TestDecryptedBatchIsHeldToTheReceiveLimit(t *testing.T) {
	t.Parallel()
	// ~1 MiB of headers deflates to a few KiB: fine on the wire, but it must
	// not inflate past MaxRecvBytes (a decompression bomb).
	_, c := startEncrypted(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{compressible("headers", 1024)}}),
		func(cfg *vizier.Config) { cfg.MaxRecvBytes = 256 << 10 })
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	if got := pixie.KindOf(err); got != pixie.KindProtocol || !strings.Contains(err.Error(), "inflates to more than") {
		t.Fatalf("got kind %v (%v), want a protocol error about the inflated size", got, err)
	}
}

func TestEncryptionConfig(t *testing.T) {
	t.Parallel()
	if _, err := vizier.New(vizier.Config{DirectAddr: "127.0.0.1:1", Plaintext: true, Encrypt: true, KeyBits: 1024}); err == nil {
		t.Error("New accepted a 1024-bit encryption key")
	}
	// A query whose context ends before the key exists fails as cancelled.
	c := newClient(t, vizier.Config{DirectAddr: "127.0.0.1:1", Plaintext: true, Encrypt: true, KeyBits: testKeyBits})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Execute(ctx, pixie.Request{Script: script}, &pixie.Collector{})
	if got := pixie.KindOf(err); got != pixie.KindCanceled {
		t.Errorf("got kind %v (%v), want canceled", got, err)
	}
}
