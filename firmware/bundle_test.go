package firmware

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBundleRoundTrip(t *testing.T) {
	fb := newFake("1.0.0")
	path := fb.write(t, t.TempDir())
	got := map[string][]byte{}
	v, err := verifyFile(path, testPub, func(f File, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[f.Path] = b
		return err
	})
	require.NoError(t, err)
	require.Equal(t, "1.0.0", v.Manifest.Version)
	require.Equal(t, fb.model, got[ModelFile])
	require.Equal(t, fb.binary, string(got[BinaryFile]))
	require.Len(t, got, len(requiredFiles))
}

// regionOf names the part of the bundle that offset i falls in.
func regionOf(b []byte, m *Manifest, i int) string {
	mlen := int(binary.LittleEndian.Uint32(b[8:]))
	switch {
	case i < headerSize:
		return "header"
	case i < headerSize+mlen:
		return "manifest"
	case i < headerSize+mlen+ed25519.SignatureSize:
		return "signature"
	}
	off := headerSize + mlen + ed25519.SignatureSize
	for _, f := range m.Files {
		if i < off+int(f.Size) {
			return f.Path
		}
		off += int(f.Size)
	}
	return "past the end"
}

// TestEveryByteChangeRefused flips one bit in every byte of a bundle, in
// each part, and checks the bundle is refused with an error naming the part.
func TestEveryByteChangeRefused(t *testing.T) {
	fb := newFake("1.0.0")
	fb.model = fb.model[:3000]
	orig, err := os.ReadFile(fb.write(t, t.TempDir()))
	require.NoError(t, err)
	v, err := readBundle(bytes.NewReader(orig), verifyWith(testPub), func(File, io.Reader) error { return nil })
	require.NoError(t, err)
	counts := map[string]int{}
	b := bytes.Clone(orig)
	for i := range b {
		region := regionOf(orig, v.Manifest, i)
		b[i] ^= 0x10
		_, err := readBundle(bytes.NewReader(b), verifyWith(testPub), func(File, io.Reader) error { return nil })
		b[i] = orig[i]
		require.ErrorIs(t, err, ErrBundle, "byte %d (%s) changed but the bundle was accepted", i, region)
		switch region {
		case "header":
			require.Contains(t, err.Error(), "header", "byte %d", i)
		case "manifest", "signature":
			require.Contains(t, err.Error(), "signature: does not match the manifest", "byte %d (%s)", i, region)
		default:
			require.Contains(t, err.Error(), region+": sha256 mismatch", "byte %d", i)
		}
		counts[region]++
	}
	for _, part := range append([]string{"header", "manifest", "signature"}, requiredFiles...) {
		require.Positive(t, counts[part], part)
	}
}

func TestTamperedBundleFileRefusedByInstall(t *testing.T) {
	dir := t.TempDir()
	path := newFake("1.0.0").write(t, dir)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-100] ^= 1 // inside the last file, the unit
	require.NoError(t, os.WriteFile(path, b, 0o644))
	root := filepath.Join(dir, "root")
	_, err = install(t, root, path, nil)
	require.ErrorContains(t, err, UnitFile+": sha256 mismatch")
	require.ErrorContains(t, err, path)
	_, err = os.Stat(root)
	require.True(t, os.IsNotExist(err), "install wrote to %s before verifying", root)
}

func TestBundleWrongKeyTruncatedTrailing(t *testing.T) {
	orig, err := os.ReadFile(newFake("1.0.0").write(t, t.TempDir()))
	require.NoError(t, err)
	read := func(b []byte, pub ed25519.PublicKey) error {
		_, err := readBundle(bytes.NewReader(b), verifyWith(pub), func(File, io.Reader) error { return nil })
		return err
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	require.ErrorContains(t, read(orig, other), "signature: does not match")
	require.ErrorContains(t, read(orig[:len(orig)-1], testPub), UnitFile+": truncated")
	require.ErrorContains(t, read(orig[:10], testPub), "header: truncated")
	require.ErrorContains(t, read(append(bytes.Clone(orig), 0), testPub), "trailing data")
	require.ErrorContains(t, read([]byte("PK\x03\x04 not a bundle at all"), testPub), "bad magic")
}

// TestEscapingEntriesRefused signs manifests whose entries try to leave the
// release folder or are not regular files: the signature is valid, the
// bundle must still be refused, naming the entry.
func TestEscapingEntriesRefused(t *testing.T) {
	data := []byte("x")
	good := func(path string) File {
		return File{Path: path, Type: TypeFile, Mode: "0644", Size: 1, SHA256: sha(data)}
	}
	cases := map[string]struct {
		entry File
		want  string
	}{
		"absolute":        {good("/etc/passwd"), "is absolute"},
		"dotdot":          {good(".."), "escapes"},
		"dotdot prefix":   {good("../evil"), "escapes"},
		"dotdot inside":   {good("a/../../evil"), "escapes"},
		"subfolder":       {good("sub/file"), "folder part"},
		"backslash":       {good(`..\evil`), "folder part"},
		"hidden":          {good(".bashrc"), "starts with a dot"},
		"control char":    {good("a\nb"), "control character"},
		"reserved":        {good(ManifestFile), "reserved"},
		"symlink":         {File{Path: "link", Type: "symlink", Mode: "0777", Size: 1, SHA256: sha(data)}, `entry type "symlink" is not allowed`},
		"hardlink":        {File{Path: "link", Type: "hardlink", Mode: "0644", Size: 1, SHA256: sha(data)}, `entry type "hardlink" is not allowed`},
		"device":          {File{Path: "sda", Type: "block-device", Mode: "0644", Size: 1, SHA256: sha(data)}, `entry type "block-device" is not allowed`},
		"empty type":      {File{Path: "x", Mode: "0644", Size: 1, SHA256: sha(data)}, `entry type "" is not allowed`},
		"setuid":          {File{Path: "x", Type: TypeFile, Mode: "4755", Size: 1, SHA256: sha(data)}, "setuid"},
		"bad hash syntax": {File{Path: "x", Type: TypeFile, Mode: "0644", Size: 1, SHA256: "ZZ"}, "not 64 lowercase hex"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := validManifest(t)
			m.Files = append(m.Files, c.entry)
			b := rawBundle(marshal(t, m), append(dataFor(m.Files[:len(m.Files)-1]), data)...)
			_, err := readBundle(bytes.NewReader(b), verifyWith(testPub), func(File, io.Reader) error { return nil })
			require.ErrorIs(t, err, ErrBundle)
			require.ErrorContains(t, err, c.want)

			dir := t.TempDir()
			path := filepath.Join(dir, "evil.ecfw")
			require.NoError(t, os.WriteFile(path, b, 0o644))
			_, err = install(t, filepath.Join(dir, "root"), path, nil)
			require.ErrorContains(t, err, c.want)
			entries, _ := os.ReadDir(dir)
			require.Len(t, entries, 1, "install wrote something")
		})
	}
	t.Run("unsafe version", func(t *testing.T) {
		m := validManifest(t)
		m.Version = "../../etc"
		b := rawBundle(marshal(t, m), dataFor(m.Files)...)
		_, err := readBundle(bytes.NewReader(b), verifyWith(testPub), func(File, io.Reader) error { return nil })
		require.ErrorContains(t, err, `version "../../etc"`)
	})
	t.Run("duplicate", func(t *testing.T) {
		m := validManifest(t)
		m.Files = append(m.Files, m.Files[1])
		b := rawBundle(marshal(t, m), dataFor(m.Files)...)
		_, err := readBundle(bytes.NewReader(b), verifyWith(testPub), func(File, io.Reader) error { return nil })
		require.ErrorContains(t, err, ModelFile+": listed twice")
	})
	t.Run("unknown manifest field", func(t *testing.T) {
		m := validManifest(t)
		mb := marshal(t, m)
		mb = append(mb[:len(mb)-1], []byte(`,"post_install":"rm -rf /"}`)...)
		b := rawBundle(mb, dataFor(m.Files)...)
		_, err := readBundle(bytes.NewReader(b), verifyWith(testPub), func(File, io.Reader) error { return nil })
		require.ErrorContains(t, err, `unknown field "post_install"`)
	})
}

// validManifest is a manifest of the four required files, each holding
// its own name as content (see dataFor).
func validManifest(t testing.TB) *Manifest {
	m := &Manifest{Format: ManifestFormat, Version: "1.0.0", Target: HostTarget(), DeviceRoot: "/opt/edgecnn"}
	for _, name := range requiredFiles {
		m.Files = append(m.Files, File{Path: name, Type: TypeFile, Mode: "0644", Size: int64(len(name)), SHA256: sha([]byte(name))})
	}
	require.NoError(t, m.Validate())
	return m
}

func dataFor(files []File) [][]byte {
	var out [][]byte
	for _, f := range files {
		out = append(out, []byte(f.Path))
	}
	return out
}

func TestCheckPathAcceptsPlainNames(t *testing.T) {
	for _, p := range []string{"edgecnn", "model.ecnn", "labels.txt", "a-b_c+1"} {
		require.NoError(t, CheckPath(p), p)
	}
	require.Error(t, CheckPath(strings.Repeat("a", 129)))
}

// FuzzReadBundle feeds arbitrary bytes to the bundle reader. With the real
// key nothing but the seed gets past the signature, so a second pass
// accepts any signature to reach the manifest and file parsing too. Neither
// may panic; an accepted bundle must be exactly as long as its manifest says.
func FuzzReadBundle(f *testing.F) {
	valid := rawBundle(marshal(f, validManifest(f)), dataFor(validManifest(f).Files)...)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(bytes.Clone(valid), 1, 2, 3))
	f.Add([]byte("ECFW"))
	f.Add([]byte{})
	anySig := func([]byte, []byte) bool { return true }
	f.Fuzz(func(t *testing.T, b []byte) {
		discard := func(File, io.Reader) error { return nil }
		if _, err := readBundle(bytes.NewReader(b), verifyWith(testPub), discard); err == nil {
			require.Equal(t, valid, b, "accepted a bundle not signed by the key")
		}
		v, err := readBundle(bytes.NewReader(b), anySig, discard)
		if err != nil {
			return
		}
		require.NoError(t, v.Manifest.Validate())
		require.Equal(t, int64(len(b)), int64(headerSize+len(v.ManifestBytes)+ed25519.SignatureSize)+v.Manifest.TotalSize())
	})
}
