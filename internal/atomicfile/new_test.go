package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWriteNewCreatesButNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jpg")
	require.NoError(t, WriteNew(path, 0o644, writeString("first")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "first", string(b))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	err = WriteNew(path, 0o644, writeString("second"))
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorContains(t, err, path)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "first", string(b), "the existing file is untouched")

	// A file that appears while the data is written is not replaced either.
	late := filepath.Join(dir, "late.jpg")
	err = WriteNew(late, 0o644, func(w io.Writer) error {
		require.NoError(t, os.WriteFile(late, []byte("theirs"), 0o644))
		_, err := io.WriteString(w, "ours")
		return err
	})
	require.ErrorIs(t, err, fs.ErrExist)
	b, err = os.ReadFile(late)
	require.NoError(t, err)
	require.Equal(t, "theirs", string(b))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary file left behind")
}

func TestWriteNewCleansUpOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	boom := errors.New("encoder failed")
	err := WriteNew(path, 0o644, func(io.Writer) error { return boom })
	require.ErrorIs(t, err, boom)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
	require.ErrorContains(t, WriteNew(filepath.Join(dir, "no", "such", "dir"), 0o644, writeString("x")), "no such file")
}

func TestWriteReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a")
	require.NoError(t, WriteFile(path, []byte("one"), 0o600))
	require.NoError(t, WriteFile(path, []byte("two"), 0o600))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "two", string(b))
	boom := errors.New("no")
	require.ErrorIs(t, Write(path, 0o600, func(io.Writer) error { return boom }), boom)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "two", string(b), "a failed write leaves the old content")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
