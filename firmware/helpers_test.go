package firmware

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/model"
)

// testKey is a fixed key pair for the package's tests.
var testPub, testKey = func() (ed25519.PublicKey, ed25519.PrivateKey) {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	return k.Public().(ed25519.PublicKey), k
}()

// fakeBinary is a stand-in edgecnn: "selftest --model M" succeeds when M is
// a file and prints what a real self-check would.
const fakeBinary = `#!/bin/sh
[ "$1" = selftest ] && [ "$2" = --model ] && [ -f "$3" ] || { echo "fake edgecnn: bad arguments: $*"; exit 2; }
echo "fake selftest OK: $3"
`

// failingBinary's self-check always fails, as a broken build would.
const failingBinary = `#!/bin/sh
echo "probe 0: class Truck, expected Car (0.93 vs 0.12)"
exit 1
`

// fakeBundle describes a bundle of arbitrary files for installer tests.
type fakeBundle struct {
	version string
	target  Target
	binary  string
	model   []byte
}

func newFake(version string) fakeBundle {
	m := make([]byte, 200<<10) // several write chunks: a kill can land mid-copy
	rand.Read(m)
	return fakeBundle{version: version, target: HostTarget(), binary: fakeBinary, model: m}
}

// write packs the bundle with writeBundle and returns its path.
func (fb fakeBundle) write(t testing.TB, dir string) string {
	t.Helper()
	src := t.TempDir()
	contents := map[string][]byte{
		BinaryFile: []byte(fb.binary),
		ModelFile:  fb.model,
		ConfigFile: []byte(`{"camera":"0","threshold":0.5}` + "\n"),
		UnitFile:   []byte(Unit("/opt/edgecnn", fb.version, DefaultConfig())),
	}
	man := &Manifest{Format: ManifestFormat, Version: fb.version, Created: time.Now().UTC().Truncate(time.Second),
		Target: fb.target, DeviceRoot: "/opt/edgecnn", Model: ModelFacts{Name: "fake", DType: model.Float32, Labels: []string{"Car", "Truck"}}}
	var files []packFile
	for _, name := range requiredFiles {
		p := filepath.Join(src, name)
		require.NoError(t, os.WriteFile(p, contents[name], 0o644))
		size, sum, err := hashFile(p)
		require.NoError(t, err)
		mode := "0644"
		if name == BinaryFile {
			mode = "0755"
		}
		e := File{Path: name, Type: TypeFile, Mode: mode, Size: size, SHA256: sum}
		man.Files = append(man.Files, e)
		files = append(files, packFile{entry: e, path: p})
	}
	var buf bytes.Buffer
	require.NoError(t, writeBundle(&buf, man, testKey, files))
	out := filepath.Join(dir, fb.version+".ecfw")
	require.NoError(t, os.WriteFile(out, buf.Bytes(), 0o644))
	return out
}

// rawBundle lays out a bundle by hand from the format's specification,
// signing whatever manifest bytes it is given; data is appended as is.
func rawBundle(manifest []byte, data ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("ECFW")
	binary.Write(&b, binary.LittleEndian, uint32(1))
	binary.Write(&b, binary.LittleEndian, uint32(len(manifest)))
	binary.Write(&b, binary.LittleEndian, uint32(64))
	b.Write(manifest)
	b.Write(ed25519.Sign(testKey, manifest))
	for _, d := range data {
		b.Write(d)
	}
	return b.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tinyModel is a float32 model whose output does not depend on its input:
// Flatten, then Dense(2, softmax) with zero weights and bias (0, ln 3), so
// the probabilities are exactly (1/4, 3/4). Its probe stores expect; pass
// nil for a model without probes.
func tinyModel(t testing.TB, expect []float32) *model.Model {
	return denseModel(t, make([]float32, 96), expect)
}

// rampModel is tinyModel with weights sin(i)/20, so its output depends on
// the image; it has no probes.
func rampModel(t testing.TB) *model.Model {
	w := make([]float32, 96)
	for i := range w {
		w[i] = float32(math.Sin(float64(i))) / 20
	}
	return denseModel(t, w, nil)
}

func denseModel(t testing.TB, kernel, expect []float32) *model.Model {
	t.Helper()
	m := &model.Model{
		Name: "tiny", DType: model.Float32, Labels: []string{"Car", "Truck"}, Loss: "sparse_categorical_crossentropy",
		Input: model.Preprocess{Height: 4, Width: 4, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255},
		Layers: []model.Layer{
			{Name: "flatten", Type: model.Flatten, OutputShape: []int{48}},
			{Name: "dense", Type: model.Dense, Units: 2, Activation: model.Softmax, OutputShape: []int{2}, Weights: []string{"dense/kernel", "dense/bias"}},
		},
		Parity: &model.Parity{Data: "valid", Images: 10, FloatAccuracy: 0.9, Int8Accuracy: 0.9, Agreement: 1},
	}
	m.AddTensor(model.NewFloat32("dense/kernel", []int{48, 2}, kernel))
	m.AddTensor(model.NewFloat32("dense/bias", []int{2}, []float32{0, float32(math.Log(3))}))
	if expect != nil {
		img := make([]int8, 48)
		for i := range img {
			img[i] = int8(i * 5)
		}
		m.AddTensor(model.NewInt8("probe/0", []int{4, 4, 3}, img))
		m.Probes = []model.Probe{{Input: "probe/0", Probabilities: expect, Tolerance: 1e-4}}
	}
	require.NoError(t, m.Validate())
	return m
}

// snapshot maps every path under dir (links as "-> target") to its content
// hash, to compare trees exactly.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case d.IsDir():
			out[rel] = "dir " + info.Mode().String()
		default:
			b, err := os.ReadFile(p)
			out[rel] = info.Mode().String() + " " + sha(b)
			return err
		}
		return nil
	}))
	return out
}

// requireIntact checks the release current points to: version want, its
// manifest signed by the test key, every file matching its hash, and its
// binary's self-check passing.
func requireIntact(t testing.TB, root, want string) {
	t.Helper()
	v, err := readLink(root, CurrentLink)
	require.NoError(t, err)
	require.Equal(t, want, v, "current")
	dir := filepath.Join(root, CurrentLink)
	mb, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(t, err)
	sig, err := os.ReadFile(filepath.Join(dir, SigFile))
	require.NoError(t, err)
	require.True(t, ed25519.Verify(testPub, mb, sig), "manifest signature of the current release")
	m, err := DecodeManifest(mb)
	require.NoError(t, err)
	require.Equal(t, want, m.Version)
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		require.NoError(t, err)
		require.Equal(t, f.SHA256, sha(b), f.Path)
	}
	out, err := runSelfCheck(t.Context(), dir, nil, time.Minute)
	require.NoError(t, err, out)
}

// requireNoLeftovers checks an install root holds only releases, links and
// the lock.
func requireNoLeftovers(t testing.TB, root string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, ReleasesDir))
	require.NoError(t, err)
	for _, e := range entries {
		require.NotEqual(t, byte('.'), e.Name()[0], "leftover %s", e.Name())
	}
	for _, n := range []string{newLinkName, swapLinkName} {
		_, err := os.Lstat(filepath.Join(root, n))
		require.ErrorIs(t, err, fs.ErrNotExist)
	}
}

// install runs Install with the test key.
func install(t testing.TB, root, bundle string, h *hooks) (*InstallResult, error) {
	t.Helper()
	return Install(t.Context(), bundle, InstallOptions{Root: root, Pub: testPub, Log: io.Discard, hooks: h})
}

// marshal is json.Marshal that fails the test on error.
func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
