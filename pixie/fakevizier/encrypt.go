package fakevizier

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// The encryption_options values the fake supports: those of Pixie's official
// client. A request naming anything else fails with codes.InvalidArgument.
const (
	// KeyAlg is the supported key_alg.
	KeyAlg = string(jose.RSA_OAEP_256)
	// ContentAlg is the supported content_alg.
	ContentAlg = string(jose.A256GCM)
	// CompressionAlg is the supported compression_alg; an empty one is
	// accepted too and means no compression (no "zip" header).
	CompressionAlg = string(jose.DEFLATE)
)

// EncryptionFault makes the fake misbehave when it should send encrypted
// batches, so that tests can check that the client fails closed. The zero
// value is the correct behaviour.
type EncryptionFault int

const (
	// EncryptionHonoured encrypts every batch when the request carries
	// encryption_options, and sends plain batches otherwise.
	EncryptionHonoured EncryptionFault = iota
	// EncryptionIgnored sends plain batches although encryption was
	// requested, like a Vizier that does not know the option.
	EncryptionIgnored
	// EncryptionGarbage sends every batch as an encrypted_batch of random
	// bytes (not a JWE), whether or not encryption was requested.
	EncryptionGarbage
	// EncryptionTampered sends every batch as a well-formed JWE to the
	// requested key with one bit of its ciphertext flipped, so that
	// authentication fails. Without encryption_options batches are plain.
	EncryptionTampered
)

func (f EncryptionFault) valid() bool { return f >= EncryptionHonoured && f <= EncryptionTampered }

// batchEncrypter turns row batches into JWEs (compact serialization) for
// one stream, as Vizier does: a fresh content key per batch, wrapped to the
// client's public key.
type batchEncrypter struct {
	enc jose.Encrypter
}

// newBatchEncrypter checks a request's encryption_options and prepares the
// encrypter. It fails with codes.InvalidArgument for unsupported algorithms
// or a jwk_key that is not an RSA public key. A key with private parts is
// refused too (a real Vizier would use its public half): the fake is
// stricter so that a client leaking its private key fails loudly.
func newBatchEncrypter(o *vizierpb.ExecuteScriptRequest_EncryptionOptions) (*batchEncrypter, error) {
	switch {
	case o.GetKeyAlg() != KeyAlg:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported encryption key_alg %q", o.GetKeyAlg())
	case o.GetContentAlg() != ContentAlg:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported encryption content_alg %q", o.GetContentAlg())
	case o.GetCompressionAlg() != CompressionAlg && o.GetCompressionAlg() != "":
		return nil, status.Errorf(codes.InvalidArgument, "unsupported encryption compression_alg %q", o.GetCompressionAlg())
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(o.GetJwkKey())); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "encryption jwk_key does not parse: %v", err)
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok {
		if _, private := jwk.Key.(*rsa.PrivateKey); private {
			return nil, status.Error(codes.InvalidArgument, "encryption jwk_key holds a private key; send only the public key")
		}
		return nil, status.Errorf(codes.InvalidArgument, "encryption jwk_key is a %T, want an RSA public key", jwk.Key)
	}
	opts := &jose.EncrypterOptions{}
	if o.GetCompressionAlg() != "" {
		opts.Compression = jose.DEFLATE
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub}, opts)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "encryption jwk_key is unusable: %v", err)
	}
	return &batchEncrypter{enc: enc}, nil
}

// encrypt returns b as a JWE in compact serialization; tamper flips one
// bit of the ciphertext.
func (e *batchEncrypter) encrypt(b *vizierpb.RowBatchData, tamper bool) ([]byte, error) {
	plain, err := proto.Marshal(b)
	if err != nil {
		return nil, err
	}
	obj, err := e.enc.Encrypt(plain)
	if err != nil {
		return nil, err
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		return nil, err
	}
	if tamper {
		parts := strings.Split(s, ".")
		ct, err := base64.RawURLEncoding.DecodeString(parts[3])
		if err != nil || len(ct) == 0 {
			return nil, fmt.Errorf("cannot tamper with ciphertext: %v", err)
		}
		ct[len(ct)/2] ^= 0x01
		parts[3] = base64.RawURLEncoding.EncodeToString(ct)
		s = strings.Join(parts, ".")
	}
	return []byte(s), nil
}

// garbageBatch returns random bytes standing in for an encrypted batch.
func garbageBatch() []byte {
	b := make([]byte, 256)
	_, _ = rand.Read(b) // never fails (crypto/rand.Read documents so)
	return b
}
