package synth

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// readTree returns every file under dir (relative path -> content).
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		if !e.IsDir() {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			rel, _ := filepath.Rel(dir, path)
			files[rel] = b
		}
		return nil
	}))
	return files
}

func TestGenerateWritesDecodablePNGs(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Generate(dir, 5, 3, 24, 1))
	for split, n := range map[string]int{TrainDir: 5, ValidDir: 3} {
		for _, class := range ClassNames {
			entries, err := os.ReadDir(filepath.Join(dir, split, class))
			require.NoError(t, err)
			require.Len(t, entries, n, "%s/%s", split, class)
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, split, class, e.Name()))
				require.NoError(t, err)
				img, err := png.Decode(bytes.NewReader(b))
				require.NoError(t, err, e.Name())
				require.Equal(t, image.Rect(0, 0, 24, 24), img.Bounds())
			}
		}
	}
	left, err := filepath.Glob(filepath.Join(dir, ".gen-data-*"))
	require.NoError(t, err)
	require.Empty(t, left, "temporary folder removed")
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	require.NoError(t, Generate(a, 4, 2, 32, 7))
	require.NoError(t, Generate(b, 4, 2, 32, 7))
	require.NoError(t, Generate(c, 4, 2, 32, 8))
	ta, tb, tc := readTree(t, a), readTree(t, b), readTree(t, c)
	require.Equal(t, ta, tb, "same seed, same bytes")
	require.Len(t, ta, 12+1) // 12 images and the marker
	differ := 0
	for name, content := range ta {
		if name != markerFile && !bytes.Equal(content, tc[name]) {
			differ++
		}
	}
	require.Equal(t, 12, differ, "another seed draws other images")
}

func TestGenerateReplacesOnlyItsOwnOutput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Generate(dir, 2, 1, 16, 1))
	require.NoError(t, Generate(dir, 1, 1, 16, 2), "an earlier gen-data output is replaced")
	entries, err := os.ReadDir(filepath.Join(dir, TrainDir, Car))
	require.NoError(t, err)
	require.Len(t, entries, 1)

	other := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(other, TrainDir), 0o755))
	err = Generate(other, 1, 1, 16, 1)
	require.ErrorContains(t, err, filepath.Join(other, TrainDir)+" already exists")
}

func TestGenerateRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	require.ErrorContains(t, Generate(dir, 0, 1, 32, 1), "at least one image")
	require.ErrorContains(t, Generate(dir, 1, 1, 4, 1), "image size 4")
}

func BenchmarkGenerate1000At32(b *testing.B) {
	for b.Loop() {
		require.NoError(b, Generate(b.TempDir(), 400, 100, 32, 1))
	}
}
