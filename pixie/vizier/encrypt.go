package vizier

// End-to-end encryption of result batches (Config.Encrypt).
//
// The request carries encryption_options: the public half of an RSA key as
// a JSON Web Key, key_alg RSA-OAEP-256, content_alg A256GCM and
// compression_alg DEF. Vizier then sends every row batch as
// data.encrypted_batch, a JWE in compact serialization (RFC 7516) whose
// plaintext is the serialized RowBatchData, DEFLATE-compressed when the
// protected header says "zip":"DEF". Each batch has its own content key,
// wrapped with RSA-OAEP-256, so every batch costs one RSA private-key
// operation here.
//
// Key lifecycle: one key pair per Client, generated in the background by New
// (4096 bits costs about 1-3 s of one core) and awaited, within the query's
// context, by the first query that needs it; every later query of the Client
// reuses it, and a resumed query must send the same options again (they never
// change during a Client's life). The private key lives only in this
// process's memory: it is never logged, persisted or sent. The trade-off
// against a fresh key per query (what Pixie's own client does) is latency
// versus exposure: a per-query 4096-bit key would add seconds to every query,
// while a per-client key, if it leaked from memory, would open the recorded
// ciphertext of every query this Client has run (not only one). A process
// whose memory leaks exposes its plaintext results anyway; restarting the
// gateway rotates the key.
//
// Decryption checks the JWE strictly for the one suite this client asks for
// (alg RSA-OAEP-256, enc A256GCM, zip DEF or absent, no "crit") and uses the
// standard library's RSA-OAEP and AES-GCM. It does not go through go-jose's
// Decrypt because that refuses any plaintext that inflates to more than
// max(250 kB, 10x the compressed size): ordinary row batches (1024 rows of
// HTTP headers and bodies inflate to ~440 kB at a ratio of 11-12) would fail.
// The inflated plaintext is instead capped at the client's receive limit
// (Config.MaxRecvBytes), the same bound a plain batch has. go-jose still
// builds the public JWK sent in the request, and the fake Vizier encrypts
// with go-jose, so the tests check this decrypter against an independent
// implementation.

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// DefaultKeyBits is the RSA key size used for Config.Encrypt when
// Config.KeyBits is 0: the size Pixie's official client uses.
const DefaultKeyBits = 4096

// MinKeyBits is the smallest Config.KeyBits accepted.
const MinKeyBits = 2048

// The only suite this client requests and accepts.
const (
	encKeyAlg         = string(jose.RSA_OAEP_256) // "RSA-OAEP-256"
	encContentAlg     = string(jose.A256GCM)      // "A256GCM"
	encCompressionAlg = string(jose.DEFLATE)      // "DEF"
)

const (
	gcmNonceSize = 12
	gcmTagSize   = 16
	cekSize      = 32 // A256GCM
)

// batchKeys is a Client's key pair for encrypted results, generated once in
// the background. After done is closed, the other fields are read-only.
type batchKeys struct {
	done chan struct{}
	err  error
	dec  *batchDecrypter
	opts *vizierpb.ExecuteScriptRequest_EncryptionOptions
}

// newBatchKeys starts generating a key pair of the given size. maxPlain
// caps the size of one decrypted, inflated batch.
func newBatchKeys(bits, maxPlain int) *batchKeys {
	k := &batchKeys{done: make(chan struct{})}
	go func() {
		defer close(k.done)
		priv, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			k.err = err
			return
		}
		pub, err := jose.JSONWebKey{Key: &priv.PublicKey}.MarshalJSON()
		if err != nil {
			k.err = err
			return
		}
		k.dec = &batchDecrypter{priv: priv, maxPlain: maxPlain}
		k.opts = &vizierpb.ExecuteScriptRequest_EncryptionOptions{
			JwkKey:         string(pub),
			KeyAlg:         encKeyAlg,
			ContentAlg:     encContentAlg,
			CompressionAlg: encCompressionAlg,
		}
	}()
	return k
}

// wait returns the request options (a fresh copy) and the decrypter once
// the key exists, or an *Error when ctx ends first.
func (k *batchKeys) wait(ctx context.Context) (*vizierpb.ExecuteScriptRequest_EncryptionOptions, *batchDecrypter, error) {
	select {
	case <-k.done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, errorf(pixie.KindTimeout, ctx.Err(), "execute script: the encryption key was not ready before the deadline")
		}
		return nil, nil, errorf(pixie.KindCanceled, ctx.Err(), "execute script: canceled while the encryption key was generated")
	}
	if k.err != nil {
		return nil, nil, errorf(pixie.KindUnavailable, k.err, "execute script: generating the encryption key: %v", k.err)
	}
	return proto.Clone(k.opts).(*vizierpb.ExecuteScriptRequest_EncryptionOptions), k.dec, nil
}

// batchDecrypter opens encrypted_batch JWEs. It is safe for concurrent use.
type batchDecrypter struct {
	priv     *rsa.PrivateKey
	maxPlain int
}

// jweHeader is the part of a JWE protected header that matters here.
type jweHeader struct {
	Alg  string          `json:"alg"`
	Enc  string          `json:"enc"`
	Zip  string          `json:"zip"`
	Crit json.RawMessage `json:"crit"`
}

// decrypt opens one encrypted_batch and parses its RowBatchData. Every
// failure is a KindProtocol *Error.
func (d *batchDecrypter) decrypt(jwe []byte) (*vizierpb.RowBatchData, error) {
	plain, err := d.open(jwe)
	if err != nil {
		return nil, errorf(pixie.KindProtocol, err, "cannot decrypt an encrypted batch: %v", err)
	}
	rb := &vizierpb.RowBatchData{}
	if err := proto.Unmarshal(plain, rb); err != nil {
		return nil, errorf(pixie.KindProtocol, err, "encrypted batch: the decrypted row batch does not parse: %v", err)
	}
	return rb, nil
}

// open returns the plaintext of a compact-serialized JWE (RFC 7516, 5.2)
// using the one suite requested.
func (d *batchDecrypter) open(jwe []byte) ([]byte, error) {
	parts := bytes.Split(jwe, []byte("."))
	if len(parts) != 5 {
		return nil, errors.New("not a JWE in compact serialization")
	}
	b64 := base64.RawURLEncoding.Strict()
	dec := func(what string, p []byte, extra int) ([]byte, error) {
		out := make([]byte, b64.DecodedLen(len(p)), b64.DecodedLen(len(p))+extra)
		n, err := b64.Decode(out, p)
		if err != nil {
			return nil, fmt.Errorf("JWE %s is not base64url", what)
		}
		return out[:n], nil
	}
	rawHeader, err := dec("header", parts[0], 0)
	if err != nil {
		return nil, err
	}
	var h jweHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, errors.New("JWE header is not a JSON object")
	}
	switch {
	case h.Alg != encKeyAlg:
		return nil, fmt.Errorf("JWE key algorithm %q, want %s", h.Alg, encKeyAlg)
	case h.Enc != encContentAlg:
		return nil, fmt.Errorf("JWE content encryption %q, want %s", h.Enc, encContentAlg)
	case h.Zip != "" && h.Zip != encCompressionAlg:
		return nil, fmt.Errorf("JWE compression %q, want %s or none", h.Zip, encCompressionAlg)
	case h.Crit != nil:
		return nil, errors.New("JWE has critical header extensions")
	}
	wrapped, err := dec("encrypted key", parts[1], 0)
	if err != nil {
		return nil, err
	}
	iv, err := dec("iv", parts[2], 0)
	if err != nil {
		return nil, err
	}
	tag, err := dec("tag", parts[4], 0)
	if err != nil {
		return nil, err
	}
	if len(iv) != gcmNonceSize || len(tag) != gcmTagSize {
		return nil, errors.New("JWE iv or tag has the wrong size for A256GCM")
	}
	sealed, err := dec("ciphertext", parts[3], gcmTagSize)
	if err != nil {
		return nil, err
	}
	sealed = append(sealed, tag...) // within capacity: no copy

	cek, err := rsa.DecryptOAEP(sha256.New(), nil, d.priv, wrapped, nil)
	if err != nil || len(cek) != cekSize {
		// One message for every key failure: nothing to learn from it.
		return nil, errors.New("JWE authentication failed")
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, errors.New("JWE authentication failed")
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// The additional data is the protected header exactly as received.
	plain, err := gcm.Open(sealed[:0], iv, sealed, parts[0])
	if err != nil {
		return nil, errors.New("JWE authentication failed")
	}
	if h.Zip == "" {
		return plain, nil
	}
	return inflate(plain, d.maxPlain)
}

// inflate decompresses raw DEFLATE data of at most limit bytes.
func inflate(data []byte, limit int) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(data))
	defer r.Close()
	var out bytes.Buffer
	out.Grow(min(4*len(data), limit))
	n, err := out.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("JWE payload does not inflate: %w", err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("JWE payload inflates to more than %d bytes (the receive limit)", limit)
	}
	return out.Bytes(), nil
}
