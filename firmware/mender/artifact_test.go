package mender

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/firmware"
)

// entry is one file of a tar.
type entry struct {
	name string
	data []byte
}

// readTar returns a tar's regular files in order.
func readTar(t testing.TB, r io.Reader) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		require.Equal(t, byte(tar.TypeReg), h.Typeflag, h.Name)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		out = append(out, entry{h.Name, b})
	}
}

func readTarGz(t testing.TB, b []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	return readTar(t, zr)
}

func names(es []entry) []string {
	var n []string
	for _, e := range es {
		n = append(n, e.name)
	}
	return n
}

// writeTar writes entries as a tar.
func writeTar(t testing.TB, es []entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		require.NoError(t, writeEntry(tw, e.name, int64(len(e.data)), time.Unix(0, 0), bytes.NewReader(e.data)))
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// keyPair writes a private key (in the given PEM form) and its public key
// and returns their paths.
func keyPair(t testing.TB, dir, name string, key crypto.Signer, pemType string) (string, string) {
	var der []byte
	var err error
	switch pemType {
	case "EC PRIVATE KEY":
		der, err = x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	case "RSA PRIVATE KEY":
		der = x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))
	default:
		der, err = x509.MarshalPKCS8PrivateKey(key)
	}
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	priv, pub := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	require.NoError(t, os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))
	return priv, pub
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// rsaKey is one 2048-bit key for all tests (generating one is slow,
// under QEMU especially).
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeBundle writes a payload file and a manifest describing it (Write
// does not open the bundle's format, so any bytes do).
func fakeBundle(t testing.TB, dir string) (string, *firmware.Manifest) {
	p := filepath.Join(dir, "car-1.2.0.ecfw")
	payload := bytes.Repeat([]byte("edgecnn bundle bytes "), 5000)
	require.NoError(t, os.WriteFile(p, payload, 0o644))
	m := &firmware.Manifest{
		Format: firmware.ManifestFormat, Version: "1.2.0",
		Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Target:  firmware.Target{GOOS: "linux", GOARCH: "arm64"}, DeviceRoot: firmware.DefaultDeviceRoot,
	}
	m.Model.Name = "cars"
	m.Model.Labels = []string{"Car", "Truck"}
	return p, m
}

// verifySig checks manifest.sig as the Mender client does.
func verifySig(t testing.TB, pub crypto.PublicKey, manifest, sig64 []byte) bool {
	sig, err := base64.StdEncoding.DecodeString(string(sig64))
	require.NoError(t, err)
	h := sha256.Sum256(manifest)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		require.Len(t, sig, 64, "mender-artifact's ECDSA encoding is r and s as 32 bytes each")
		return ecdsa.Verify(k, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	}
	t.Fatalf("key %T", pub)
	return false
}

// TestArtifactContents reads a written artefact back and checks every file
// it must hold, byte for byte where the format fixes them.
func TestArtifactContents(t *testing.T) {
	dir := t.TempDir()
	bundle, m := fakeBundle(t, dir)
	payload, err := os.ReadFile(bundle)
	require.NoError(t, err)
	for _, key := range []crypto.Signer{ecKey(t), rsaKey()} {
		out := filepath.Join(dir, "car.mender")
		a, err := Write(Options{Bundle: bundle, Manifest: m, DeviceTypes: []string{"raspberrypi4", "raspberrypi5"}, Key: key, Output: out})
		require.NoError(t, err)
		require.Equal(t, "edgecnn-1.2.0", a.Name)
		require.Equal(t, "edgecnn-1.2.0.ecfw", a.Payload)
		require.Equal(t, int64(len(payload)), a.PayloadSize)
		require.Equal(t, sha256Hex(payload), a.PayloadSHA256)

		f, err := os.Open(out)
		require.NoError(t, err)
		outer := readTar(t, f)
		f.Close()
		require.Equal(t, []string{"version", "manifest", "manifest.sig", "header.tar.gz", "data/0000.tar.gz"}, names(outer))
		require.Equal(t, `{"format":"mender","version":3}`, string(outer[0].data))
		require.Equal(t, sha256Hex(payload)+"  data/0000/edgecnn-1.2.0.ecfw\n"+
			sha256Hex(outer[3].data)+"  header.tar.gz\n"+
			sha256Hex(outer[0].data)+"  version\n", string(outer[1].data))
		require.True(t, verifySig(t, key.Public(), outer[1].data, outer[2].data))
		require.False(t, verifySig(t, key.Public(), append([]byte("x"), outer[1].data...), outer[2].data))

		hdr := readTarGz(t, outer[3].data)
		require.Equal(t, []string{"header-info", "headers/0000/type-info", "headers/0000/meta-data"}, names(hdr))
		require.JSONEq(t, `{"payloads":[{"type":"edgecnn"}],"artifact_provides":{"artifact_name":"edgecnn-1.2.0"},
			"artifact_depends":{"device_type":["raspberrypi4","raspberrypi5"]}}`, string(hdr[0].data))
		require.JSONEq(t, `{"type":"edgecnn","artifact_provides":{"rootfs-image.edgecnn.version":"1.2.0"},
			"clears_artifact_provides":["rootfs-image.edgecnn.*"]}`, string(hdr[1].data))
		require.JSONEq(t, `{"edgecnn":{"version":"1.2.0","target":"linux/arm64","model":"cars","labels":["Car","Truck"],
			"bundle":"edgecnn-1.2.0.ecfw","bundle_sha256":"`+sha256Hex(payload)+`"}}`, string(hdr[2].data))

		data := readTarGz(t, outer[4].data)
		require.Equal(t, []string{"edgecnn-1.2.0.ecfw"}, names(data))
		require.Equal(t, payload, data[0].data)
	}
}

func TestWriteRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	bundle, m := fakeBundle(t, dir)
	ok := Options{Bundle: bundle, Manifest: m, DeviceTypes: []string{"raspberrypi4"}, Key: ecKey(t), Output: filepath.Join(dir, "a.mender")}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	for _, c := range []struct {
		change func(o *Options)
		want   string
	}{
		{func(o *Options) { o.DeviceTypes = nil }, "no device type"},
		{func(o *Options) { o.DeviceTypes = []string{"rasp berry"} }, `device type "rasp berry"`},
		{func(o *Options) { o.Name = "a\nb" }, "artefact name"},
		{func(o *Options) { o.Module = "../x" }, "update module name"},
		{func(o *Options) { o.Key = nil }, "no signing key"},
		{func(o *Options) { o.Key = p384 }, "only P-256"},
		{func(o *Options) { o.Manifest = nil }, "no bundle manifest"},
		{func(o *Options) { o.Bundle = filepath.Join(dir, "missing.ecfw") }, "missing.ecfw"},
		{func(o *Options) { o.Bundle = dir }, "not a regular file"},
		{func(o *Options) { o.Output = filepath.Join(dir, "no", "such", "dir", "a.mender") }, "no such file"},
	} {
		o := ok
		c.change(&o)
		_, err := Write(o)
		require.ErrorContains(t, err, c.want)
	}
	_, err = os.Stat(ok.Output)
	require.True(t, os.IsNotExist(err), "no artefact is left behind by a failed write")
}

func TestReadSigningKey(t *testing.T) {
	dir := t.TempDir()
	ec, rs := ecKey(t), rsaKey()
	for _, c := range []struct {
		key     crypto.Signer
		pemType string
	}{{ec, "EC PRIVATE KEY"}, {ec, "PRIVATE KEY"}, {rs, "RSA PRIVATE KEY"}, {rs, "PRIVATE KEY"}} {
		priv, _ := keyPair(t, dir, "k", c.key, c.pemType)
		k, err := ReadSigningKey(priv)
		require.NoError(t, err, c.pemType)
		require.True(t, c.key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()))
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	priv, _ := keyPair(t, dir, "small", small, "RSA PRIVATE KEY")
	_, err = ReadSigningKey(priv)
	require.ErrorContains(t, err, "RSA key of 1024 bits")

	// An ed25519 key from edgecnn firmware keygen is refused with a reason.
	edKey := filepath.Join(dir, "fleet.key")
	_, err = firmware.GenerateKey(edKey, false)
	require.NoError(t, err)
	_, err = ReadSigningKey(edKey)
	require.ErrorContains(t, err, "ed25519 bundle keys cannot sign artefacts")
	_, err = ReadSigningKey(edKey + ".pub")
	require.ErrorContains(t, err, `"PUBLIC KEY" PEM block`)

	junk := filepath.Join(dir, "junk")
	require.NoError(t, os.WriteFile(junk, []byte("not a key"), 0o600))
	_, err = ReadSigningKey(junk)
	require.ErrorContains(t, err, "junk: no PEM block")
}

// menderArtifact finds Debian's mender-artifact or skips.
func menderArtifact(t *testing.T) string {
	p, err := exec.LookPath("mender-artifact")
	if err != nil {
		t.Skip("mender-artifact is not installed (apt-get install mender-artifact): artefacts not checked with Mender's own tool")
	}
	return p
}

func runTool(t *testing.T, tool string, args ...string) (string, error) {
	out, err := exec.Command(tool, args...).CombinedOutput()
	return string(out), err
}

// TestMenderArtifactValidatesAndReads checks artefacts signed with ECDSA
// and RSA keys with Mender's own tool, and that it refuses tampered copies.
func TestMenderArtifactValidatesAndReads(t *testing.T) {
	tool := menderArtifact(t)
	dir := t.TempDir()
	bundle, m := fakeBundle(t, dir)
	payload, err := os.ReadFile(bundle)
	require.NoError(t, err)
	for _, c := range []struct {
		name    string
		key     crypto.Signer
		pemType string
	}{{"ecdsa", ecKey(t), "EC PRIVATE KEY"}, {"rsa", rsaKey(), "RSA PRIVATE KEY"}} {
		privPath, pub := keyPair(t, dir, c.name, c.key, c.pemType)
		key, err := ReadSigningKey(privPath)
		require.NoError(t, err)
		art := filepath.Join(dir, c.name+".mender")
		_, err = Write(Options{Bundle: bundle, Manifest: m, Name: "cars-1.2.0", DeviceTypes: []string{"raspberrypi4"}, Key: key, Output: art})
		require.NoError(t, err)

		out, err := runTool(t, tool, "validate", "-k", pub, art)
		require.NoError(t, err, out)
		require.Contains(t, out, "validated successfully")
		t.Logf("%s: mender-artifact validate -k %s.pub: %s", c.name, c.name, strings.TrimSpace(out))

		out, err = runTool(t, tool, "read", "-k", pub, art)
		require.NoError(t, err, out)
		t.Logf("%s: mender-artifact read -k %s.pub:\n%s", c.name, c.name, out)
		for _, want := range []string{
			"Name: cars-1.2.0", "Format: mender", "Version: 3", "Signature: signed and verified correctly",
			"Compatible devices: '[raspberrypi4]'", "Type:   edgecnn", "rootfs-image.edgecnn.version: 1.2.0",
			`Clears Provides: ["rootfs-image.edgecnn.*"]`, `"model": "cars"`,
			"name:     edgecnn-1.2.0.ecfw", "checksum: " + sha256Hex(payload),
		} {
			require.Contains(t, out, want)
		}

		// Signed with another key: refused.
		_, otherPub := keyPair(t, dir, c.name+"-other", ecKey(t), "EC PRIVATE KEY")
		out, err = runTool(t, tool, "validate", "-k", otherPub, art)
		require.Error(t, err, "validated with the wrong key: %s", out)

		f, err := os.Open(art)
		require.NoError(t, err)
		outer := readTar(t, f)
		f.Close()
		tampered := func(what string, change func(es []entry)) {
			es := append([]entry(nil), outer...)
			change(es)
			p := filepath.Join(dir, c.name+"-tampered.mender")
			require.NoError(t, os.WriteFile(p, writeTar(t, es), 0o644))
			out, err := runTool(t, tool, "validate", "-k", pub, p)
			require.Error(t, err, "%s: a tampered artefact validated: %s", what, out)
			t.Logf("%s, %s: mender-artifact validate refuses it: %s", c.name, what, lastLine(out))
		}
		tampered("payload changed", func(es []entry) {
			bad := append([]byte(nil), payload...)
			bad[len(bad)/2] ^= 1
			es[4].data = gz(t, writeTar(t, []entry{{"edgecnn-1.2.0.ecfw", bad}}))
		})
		tampered("header changed", func(es []entry) {
			hdr := readTarGz(t, es[3].data)
			hdr[0].data = bytes.Replace(hdr[0].data, []byte("raspberrypi4"), []byte("raspberrypi5"), 1)
			es[3].data = gz(t, writeTar(t, hdr))
		})
		tampered("manifest changed to match a new payload", func(es []entry) {
			bad := append([]byte(nil), payload...)
			bad[0] ^= 1
			es[4].data = gz(t, writeTar(t, []entry{{"edgecnn-1.2.0.ecfw", bad}}))
			es[1].data = bytes.Replace(es[1].data, []byte(sha256Hex(payload)), []byte(sha256Hex(bad)), 1)
		})
		tampered("signature changed", func(es []entry) {
			sig, err := base64.StdEncoding.DecodeString(string(es[2].data))
			require.NoError(t, err)
			sig[3] ^= 1
			es[2].data = []byte(base64.StdEncoding.EncodeToString(sig))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
