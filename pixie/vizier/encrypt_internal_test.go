package vizier

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

var testKeys sync.Map // bits -> *rsa.PrivateKey

func rsaKey(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	if k, ok := testKeys.Load(bits); ok {
		return k.(*rsa.PrivateKey)
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	actual, _ := testKeys.LoadOrStore(bits, k)
	return actual.(*rsa.PrivateKey)
}

// seal encrypts plain to key with go-jose, as Vizier would.
func seal(tb testing.TB, key *rsa.PrivateKey, alg jose.KeyAlgorithm, enc jose.ContentEncryption, opts *jose.EncrypterOptions, plain []byte) []byte {
	tb.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: &key.PublicKey}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := e.Encrypt(plain)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return []byte(s)
}

// letBatch is a px/service_let-like batch: time, service, latency
// quantiles, error rate, throughput, bytes.
func letBatch(n int) (*pixie.TableMeta, *vizierpb.RowBatchData) {
	meta := &pixie.TableMeta{ID: "t1", Name: "let", Columns: []pixie.ColumnInfo{
		{Name: "time_", Type: pixie.TypeTime64NS},
		{Name: "service", Type: pixie.TypeString},
		{Name: "latency_p50", Type: pixie.TypeFloat64},
		{Name: "latency_p90", Type: pixie.TypeFloat64},
		{Name: "latency_p99", Type: pixie.TypeFloat64},
		{Name: "error_rate", Type: pixie.TypeFloat64},
		{Name: "request_throughput", Type: pixie.TypeFloat64},
		{Name: "bytes_total", Type: pixie.TypeInt64},
	}}
	times, bytesTotal := make([]int64, n), make([]int64, n)
	svc := make([][]byte, n)
	f := make([][]float64, 5)
	for j := range f {
		f[j] = make([]float64, n)
	}
	for i := range n {
		times[i] = 1_700_000_000_000_000_000 + int64(i)*10_000_000_000
		svc[i] = fmt.Appendf(nil, "px-sock-shop/service-%d", i%12)
		for j := range f {
			f[j][i] = float64((i*7919+j*104729)%100_000) / 3
		}
		bytesTotal[i] = int64(i) * 4096
	}
	fc := func(v []float64) *vizierpb.Column {
		return &vizierpb.Column{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: v}}}
	}
	rb := &vizierpb.RowBatchData{TableId: "t1", NumRows: int64(n), Cols: []*vizierpb.Column{
		{ColData: &vizierpb.Column_Time64NsData{Time64NsData: &vizierpb.Time64NSColumn{Data: times}}},
		{ColData: &vizierpb.Column_StringData{StringData: &vizierpb.StringColumn{Data: svc}}},
		fc(f[0]), fc(f[1]), fc(f[2]), fc(f[3]), fc(f[4]),
		{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: bytesTotal}}},
	}}
	return meta, rb
}

func TestBatchDecrypter(t *testing.T) {
	t.Parallel()
	key := rsaKey(t, 2048)
	d := &batchDecrypter{priv: key, maxPlain: DefaultMaxRecvBytes}
	_, rb := letBatch(50)
	plain, err := proto.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	deflate := &jose.EncrypterOptions{Compression: jose.DEFLATE}
	for name, jwe := range map[string][]byte{
		"zip DEF": seal(t, key, jose.RSA_OAEP_256, jose.A256GCM, deflate, plain),
		"no zip":  seal(t, key, jose.RSA_OAEP_256, jose.A256GCM, nil, plain),
	} {
		got, err := d.decrypt(jwe)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !proto.Equal(got, rb) {
			t.Errorf("%s: the decrypted batch differs", name)
		}
	}

	good := string(seal(t, key, jose.RSA_OAEP_256, jose.A256GCM, deflate, plain))
	parts := strings.Split(good, ".")
	withHeader := func(h string) string {
		p := append([]string{base64.RawURLEncoding.EncodeToString([]byte(h))}, parts[1:]...)
		return strings.Join(p, ".")
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rejected := map[string]struct{ jwe, want string }{
		"RSA-OAEP (SHA-1)":      {string(seal(t, key, jose.RSA_OAEP, jose.A256GCM, deflate, plain)), "key algorithm"},
		"A128GCM":               {string(seal(t, key, jose.RSA_OAEP_256, jose.A128GCM, deflate, plain)), "content encryption"},
		"A256CBC-HS512":         {string(seal(t, key, jose.RSA_OAEP_256, jose.A256CBC_HS512, deflate, plain)), "content encryption"},
		"another key":           {string(seal(t, other, jose.RSA_OAEP_256, jose.A256GCM, deflate, plain)), "authentication failed"},
		"crit header":           {withHeader(`{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF","crit":["exp"],"exp":1}`), "critical"},
		"zip header removed":    {withHeader(`{"alg":"RSA-OAEP-256","enc":"A256GCM"}`), "authentication failed"},
		"unknown zip":           {withHeader(`{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"BR"}`), "compression"},
		"four parts":            {strings.Join(parts[:4], "."), "compact serialization"},
		"JSON serialization":    {`{"protected":"` + parts[0] + `"}`, "compact serialization"},
		"bad base64":            {strings.Join([]string{parts[0], parts[1], "!!", parts[3], parts[4]}, "."), "base64url"},
		"header not JSON":       {withHeader(`alg=RSA-OAEP-256`), "not a JSON object"},
		"truncated ciphertext":  {strings.Join([]string{parts[0], parts[1], parts[2], parts[3][:len(parts[3])/2], parts[4]}, "."), ""},
		"tag of the wrong size": {strings.Join([]string{parts[0], parts[1], parts[2], parts[3], "AAAA"}, "."), "wrong size"},
	}
	for name, tc := range rejected {
		_, err := d.decrypt([]byte(tc.jwe))
		if pixie.KindOf(err) != pixie.KindProtocol || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a protocol error mentioning %q", name, err, tc.want)
		}
	}
}

// BenchmarkDecryptLETBatch measures what encryption adds per batch on the
// client: RSA-OAEP unwrap of the content key, AES-GCM, inflate and parse
// of a 1024-row LET batch, plus the normal decode.
func BenchmarkDecryptLETBatch(b *testing.B) {
	meta, rb := letBatch(1024)
	plain, err := proto.Marshal(rb)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			var got vizierpb.RowBatchData
			if err := proto.Unmarshal(plain, &got); err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeBatch(meta, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bits := range []int{2048, 4096} {
		key := rsaKey(b, bits)
		jwe := seal(b, key, jose.RSA_OAEP_256, jose.A256GCM, &jose.EncrypterOptions{Compression: jose.DEFLATE}, plain)
		d := &batchDecrypter{priv: key, maxPlain: DefaultMaxRecvBytes}
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				got, err := d.decrypt(jwe)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := DecodeBatch(meta, got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(jwe)), "jwe-bytes")
		})
	}
}
