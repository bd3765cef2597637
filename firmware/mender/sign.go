package mender

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// minRSABits is the smallest RSA key accepted for signing.
const minRSABits = 2048

// ReadSigningKey loads a private key that Mender accepts for artefact
// signatures: ECDSA on P-256 or RSA (at least 2048 bits), as PEM in PKCS#8,
// SEC 1 ("EC PRIVATE KEY", as openssl ecparam writes) or PKCS#1 ("RSA
// PRIVATE KEY").
func ReadSigningKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block: not a key file", path)
	}
	var key any
	switch blk.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("%s: a %q PEM block, want a private key (ECDSA P-256 or RSA)", path, blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, err := checkKey(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// checkKey accepts the key types Mender verifies.
func checkKey(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA key on %s: Mender accepts only P-256 (prime256v1)", k.Curve.Params().Name)
		}
		return k, nil
	case *rsa.PrivateKey:
		if n := k.N.BitLen(); n < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits: use at least %d", n, minRSABits)
		}
		return k, nil
	case nil:
		return nil, errors.New("no signing key")
	default:
		return nil, fmt.Errorf("a %T key: Mender accepts ECDSA P-256 or RSA keys (ed25519 bundle keys cannot sign artefacts)", key)
	}
}

// sign returns the manifest.sig content for manifest: the base64 of an
// RSA PKCS#1 v1.5 signature of its SHA-256, or of an ECDSA signature as
// mender-artifact encodes it: r and s as two 32-byte big-endian numbers.
func sign(key crypto.Signer, manifest []byte) ([]byte, error) {
	h := sha256.Sum256(manifest)
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			return nil, err
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:]); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("cannot sign with a %T key", key)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sig)))
	base64.StdEncoding.Encode(out, sig)
	return out, nil
}
