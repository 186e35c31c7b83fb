package fakevizier_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// testKey is one RSA key for every encryption test of this package.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func publicJWK(t *testing.T, key any) string {
	t.Helper()
	b, err := jose.JSONWebKey{Key: key}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encOpts(t *testing.T) *vizierpb.ExecuteScriptRequest_EncryptionOptions {
	return &vizierpb.ExecuteScriptRequest_EncryptionOptions{
		JwkKey:         publicJWK(t, &testKey().PublicKey),
		KeyAlg:         fakevizier.KeyAlg,
		ContentAlg:     fakevizier.ContentAlg,
		CompressionAlg: fakevizier.CompressionAlg,
	}
}

// openBatch decrypts an encrypted_batch with go-jose, checking the header.
func openBatch(t *testing.T, jwe []byte, wantZip bool) *vizierpb.RowBatchData {
	t.Helper()
	obj, err := jose.ParseEncryptedCompact(string(jwe), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatalf("encrypted_batch is not a compact JWE: %v", err)
	}
	if got := obj.Header.Algorithm; got != string(jose.RSA_OAEP_256) {
		t.Errorf("alg = %q", got)
	}
	plain, err := obj.Decrypt(testKey())
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	// The zip header is protected: check it on the raw header.
	if hasZip := strings.Contains(rawHeader(t, jwe), `"zip":"DEF"`); hasZip != wantZip {
		t.Errorf("zip DEF in header = %v, want %v", hasZip, wantZip)
	}
	var rb vizierpb.RowBatchData
	if err := proto.Unmarshal(plain, &rb); err != nil {
		t.Fatal(err)
	}
	return &rb
}

func rawHeader(t *testing.T, jwe []byte) string {
	t.Helper()
	h, _, _ := strings.Cut(string(jwe), ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestEncryption is not parallel with the other tests: RSA work under the
// race detector would eat into their timing margins.
func TestEncryption(t *testing.T) {
	testKey()
	tb := fakevizier.NewTable("output",
		fakevizier.StringCol("s", pixie.STNone, "a", "b", "c"),
		fakevizier.Int64Col("n", pixie.STNone, 1, 2, 3))
	plan := func(f fakevizier.EncryptionFault) *fakevizier.Plan {
		return &fakevizier.Plan{Tables: []*fakevizier.Table{tb}, BatchRows: 2, Encryption: f}
	}
	run := func(t *testing.T, p *fakevizier.Plan, o *vizierpb.ExecuteScriptRequest_EncryptionOptions) ([]*vizierpb.ExecuteScriptResponse, error) {
		t.Helper()
		s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(p)})
		req := query(displayPxL)
		req.EncryptionOptions = o
		return execute(t.Context(), t, vizier(t, s), req)
	}

	t.Run("Every batch is a JWE of the RowBatchData to the requested key.", func(t *testing.T) {
		t.Parallel()
		for _, zip := range []string{fakevizier.CompressionAlg, ""} {
			o := encOpts(t)
			o.CompressionAlg = zip
			resps, err := run(t, plan(fakevizier.EncryptionHonoured), o)
			if err != nil {
				t.Fatal(err)
			}
			wantKinds(t, resps, "meta:output", "other", "other", "stats")
			var rows []int64
			for _, r := range resps[1:3] {
				if r.GetData().GetBatch() != nil {
					t.Fatal("a plain batch next to the encrypted one")
				}
				rb := openBatch(t, r.GetData().GetEncryptedBatch(), zip != "")
				if rb.GetTableId() != resps[0].GetMetaData().GetId() {
					t.Errorf("table id %q, want %q", rb.GetTableId(), resps[0].GetMetaData().GetId())
				}
				rows = append(rows, rb.GetCols()[1].GetInt64Data().GetData()...)
				if rb.GetEos() != (r == resps[2]) {
					t.Errorf("eos = %v on batch %v", rb.GetEos(), r)
				}
			}
			if len(rows) != 3 || rows[0] != 1 || rows[2] != 3 {
				t.Errorf("decrypted n = %v, want [1 2 3]", rows)
			}
		}
	})

	t.Run("Ignored sends plain batches although encryption was requested.", func(t *testing.T) {
		t.Parallel()
		resps, err := run(t, plan(fakevizier.EncryptionIgnored), encOpts(t))
		if err != nil {
			t.Fatal(err)
		}
		wantKinds(t, resps, "meta:output", "batch:output:2", "batch:output:1:eos", "stats")
	})

	t.Run("Garbage sends random bytes, even without encryption.", func(t *testing.T) {
		t.Parallel()
		resps, err := run(t, plan(fakevizier.EncryptionGarbage), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantKinds(t, resps, "meta:output", "other", "other", "stats")
		if _, err := jose.ParseEncryptedCompact(string(resps[1].GetData().GetEncryptedBatch()),
			[]jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM}); err == nil {
			t.Error("garbage parses as a JWE")
		}
	})

	t.Run("Tampered sends JWEs that fail authentication.", func(t *testing.T) {
		t.Parallel()
		resps, err := run(t, plan(fakevizier.EncryptionTampered), encOpts(t))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := jose.ParseEncryptedCompact(string(resps[1].GetData().GetEncryptedBatch()),
			[]jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			t.Fatalf("tampered batch is not a JWE: %v", err)
		}
		if _, err := obj.Decrypt(testKey()); err == nil {
			t.Error("tampered batch decrypts")
		}
	})

	t.Run("Unsupported options are invalid arguments.", func(t *testing.T) {
		t.Parallel()
		privJWK := publicJWK(t, testKey()) // the whole key pair: private parts included
		ecJWK := `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
		cases := []struct {
			name string
			edit func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions)
			msg  string
		}{
			{"key_alg RSA1_5", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.KeyAlg = "RSA1_5" }, "key_alg"},
			{"content_alg A128CBC-HS256", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.ContentAlg = "A128CBC-HS256" }, "content_alg"},
			{"compression_alg gzip", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.CompressionAlg = "gzip" }, "compression_alg"},
			{"jwk_key not JSON", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.JwkKey = "not json" }, "does not parse"},
			{"jwk_key with private parts", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.JwkKey = privJWK }, "private key"},
			{"jwk_key of an EC key", func(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) { o.JwkKey = ecJWK }, "RSA public key"},
		}
		for _, tc := range cases {
			o := encOpts(t)
			tc.edit(o)
			_, err := run(t, plan(fakevizier.EncryptionHonoured), o)
			wantCode(t, err, codes.InvalidArgument)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.msg)
			}
		}
	})

	t.Run("An unknown fault is an invalid plan.", func(t *testing.T) {
		t.Parallel()
		if err := plan(fakevizier.EncryptionTampered + 1).Validate(); err == nil {
			t.Error("Validate accepted an unknown Encryption fault")
		}
	})
}
