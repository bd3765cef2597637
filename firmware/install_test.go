package firmware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInstallSwitchesAndKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	res, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	require.Equal(t, "passed", res.SelfCheck)
	require.Contains(t, res.SelfCheckLog, "fake selftest OK")
	require.Empty(t, res.Previous)
	requireIntact(t, root, "1.0.0")

	res, err = install(t, root, newFake("1.1.0").write(t, dir), nil)
	require.NoError(t, err)
	require.Equal(t, "1.0.0", res.Previous)
	requireIntact(t, root, "1.1.0")
	prev, err := readLink(root, PreviousLink)
	require.NoError(t, err)
	require.Equal(t, "1.0.0", prev)
	requireNoLeftovers(t, root)

	fi, err := os.Stat(filepath.Join(root, CurrentLink, BinaryFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), fi.Mode().Perm())

	st, err := ReadStatus(root)
	require.NoError(t, err)
	require.Equal(t, "1.1.0", st.Current)
	require.Equal(t, "1.0.0", st.Previous)
	require.Len(t, st.Releases, 2)
	for _, r := range st.Releases {
		require.Empty(t, r.Error)
		require.Equal(t, []string{"Car", "Truck"}, r.Manifest.Model.Labels)
	}
}

func TestInstallSameVersion(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	b1 := newFake("1.0.0").write(t, dir)
	_, err := install(t, root, b1, nil)
	require.NoError(t, err)
	before := snapshot(t, root)

	// The same bundle again: nothing to do, nothing written.
	res, err := install(t, root, b1, nil)
	require.NoError(t, err)
	require.True(t, res.AlreadyCurrent)
	require.Equal(t, before, snapshot(t, root))

	// Another bundle claiming the same version: refused.
	other := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(other, 0o755))
	_, err = install(t, root, newFake("1.0.0").write(t, other), nil)
	require.ErrorContains(t, err, "versions are immutable")
	require.Equal(t, before, snapshot(t, root))

	// Going back to 1.0.0 by installing it again after 2.0.0 works.
	_, err = install(t, root, newFake("2.0.0").write(t, dir), nil)
	require.NoError(t, err)
	res, err = install(t, root, b1, nil)
	require.NoError(t, err)
	require.False(t, res.AlreadyCurrent)
	require.Equal(t, "2.0.0", res.Previous)
	requireIntact(t, root, "1.0.0")
	requireNoLeftovers(t, root)
}

func TestInstallRefusesOtherArch(t *testing.T) {
	dir := t.TempDir()
	fb := newFake("1.0.0")
	fb.target = Target{GOOS: "linux", GOARCH: "arm64"}
	if HostTarget().GOARCH == "arm64" {
		fb.target = Target{GOOS: "linux", GOARCH: "amd64"}
	}
	path := fb.write(t, dir)
	root := filepath.Join(dir, "root")
	_, err := install(t, root, path, nil)
	require.ErrorContains(t, err, "bundle is for "+fb.target.String())
	require.ErrorContains(t, err, "--force-arch")
	_, err = os.Stat(root)
	require.True(t, os.IsNotExist(err), "refused install wrote %s", root)

	// Staging: forced, self-check skipped with a warning...
	var log bytes.Buffer
	res, err := Install(t.Context(), path, InstallOptions{Root: root, Pub: testPub, ForceArch: true, Log: &log})
	require.NoError(t, err)
	require.Equal(t, "skipped", res.SelfCheck)
	require.Contains(t, log.String(), "self-check skipped")

	// ...or run through the exec wrapper.
	marker := filepath.Join(dir, "wrapped")
	wrapper := filepath.Join(dir, "wrapper.sh")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh\ntouch "+marker+"\nexec \"$@\"\n"), 0o755))
	fb.version = "1.0.1"
	res, err = Install(t.Context(), fb.write(t, dir), InstallOptions{Root: root, Pub: testPub, ForceArch: true, ExecWrapper: []string{wrapper}})
	require.NoError(t, err)
	require.Equal(t, "passed", res.SelfCheck)
	require.FileExists(t, marker)
}

func TestFailedSelfCheckIsNotSwitchedTo(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	bad := newFake("2.0.0")
	bad.binary = failingBinary
	_, err = install(t, root, bad.write(t, dir), nil)
	require.ErrorContains(t, err, "self-check of release 2.0.0 failed, current is unchanged")
	require.ErrorContains(t, err, "expected Car")
	requireIntact(t, root, "1.0.0")
	requireNoLeftovers(t, root)
	_, err = os.Stat(filepath.Join(root, ReleasesDir, "2.0.0"))
	require.True(t, os.IsNotExist(err))
}

func TestRollbackRestoresPreviousExactly(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := Rollback(root)
	require.Error(t, err) // nothing installed
	_, err = install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	v1 := snapshot(t, filepath.Join(root, CurrentLink)+"/")
	_, err = Rollback(root)
	require.ErrorContains(t, err, "nothing to roll back to")

	_, err = install(t, root, newFake("2.0.0").write(t, dir), nil)
	require.NoError(t, err)
	v2 := snapshot(t, filepath.Join(root, CurrentLink)+"/")
	require.NotEqual(t, v1, v2)

	st, err := Rollback(root)
	require.NoError(t, err)
	require.Equal(t, "1.0.0", st.Current)
	require.Equal(t, "2.0.0", st.Previous)
	require.Equal(t, v1, snapshot(t, filepath.Join(root, CurrentLink)+"/"))
	requireIntact(t, root, "1.0.0")

	_, err = Rollback(root)
	require.NoError(t, err)
	require.Equal(t, v2, snapshot(t, filepath.Join(root, CurrentLink)+"/"))
	requireIntact(t, root, "2.0.0")

	// A damaged previous release is not rolled back to.
	require.NoError(t, os.Truncate(filepath.Join(root, ReleasesDir, "1.0.0", ModelFile), 10))
	_, err = Rollback(root)
	require.ErrorContains(t, err, "release 1.0.0: model.ecnn is not the")
	requireIntact(t, root, "2.0.0")
}

// installSteps records the hook steps of a clean install over an existing
// release.
func installSteps(t *testing.T) []string {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	var steps []string
	_, err = install(t, root, newFake("2.0.0").write(t, dir), &hooks{step: func(s string) error {
		steps = append(steps, s)
		return nil
	}})
	require.NoError(t, err)
	for _, want := range []string{"verified", "temp-dir", "write:" + ModelFile, "files-synced", "self-check", "link-new", "previous"} {
		require.Contains(t, steps, want)
	}
	return steps
}

// TestInstallFailingAtEveryStep stops an install at each of its steps: the
// old release stays current and intact (or, past the switch, the new one
// is), and the next install succeeds.
func TestInstallFailingAtEveryStep(t *testing.T) {
	for _, step := range installSteps(t) {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
			require.NoError(t, err)
			b2 := newFake("2.0.0").write(t, dir)
			injected := errors.New("injected fault")
			_, err = install(t, root, b2, &hooks{step: func(s string) error {
				if s == step {
					return injected
				}
				return nil
			}})
			require.ErrorIs(t, err, injected)
			want := "1.0.0"
			if step == "previous" { // after the atomic switch
				want = "2.0.0"
			}
			requireIntact(t, root, want)

			res, err := install(t, root, b2, nil)
			require.NoError(t, err)
			requireIntact(t, root, "2.0.0")
			requireNoLeftovers(t, root)
			if step != "previous" {
				require.Equal(t, "1.0.0", res.Previous)
			}
		})
	}
}

// fullDisk accepts limit bytes, then fails every write with ENOSPC.
type fullDisk struct {
	w     io.Writer
	limit *int
}

func (f fullDisk) Write(p []byte) (int, error) {
	if len(p) > *f.limit {
		n, _ := f.w.Write(p[:*f.limit])
		*f.limit = 0
		return n, &os.PathError{Op: "write", Path: "disk", Err: syscall.ENOSPC}
	}
	*f.limit -= len(p)
	return f.w.Write(p)
}

func TestInstallFullDisk(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	b2 := newFake("2.0.0").write(t, dir)
	for _, limit := range []int{0, 100, 150 << 10} { // in the binary, in the model
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			left := limit
			_, err := install(t, root, b2, &hooks{writer: func(_ string, w io.Writer) io.Writer { return fullDisk{w, &left} }})
			require.ErrorIs(t, err, syscall.ENOSPC)
			require.ErrorContains(t, err, "no space left on device")
			require.ErrorContains(t, err, "is full")
			require.ErrorContains(t, err, "current is unchanged")
			requireIntact(t, root, "1.0.0")
			requireNoLeftovers(t, root)
		})
	}
	_, err = install(t, root, b2, nil)
	require.NoError(t, err)
	requireIntact(t, root, "2.0.0")
}

func TestInstallRefusesConcurrentInstall(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	b1 := newFake("1.0.0").write(t, dir)
	var inner error
	_, err := install(t, root, b1, &hooks{step: func(s string) error {
		if s == "temp-dir" {
			_, inner = install(t, root, b1, nil)
		}
		return nil
	}})
	require.NoError(t, err)
	require.ErrorContains(t, inner, "another install or rollback is running")
}

func TestStatusReportsDamage(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := ReadStatus(root)
	require.ErrorContains(t, err, "nothing was installed")
	_, err = install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, ReleasesDir, "1.0.0", ManifestFile), []byte("{"), 0o644))
	st, err := ReadStatus(root)
	require.NoError(t, err)
	require.Len(t, st.Releases, 1)
	require.True(t, strings.HasPrefix(st.Releases[0].Error, "manifest:"), st.Releases[0].Error)
}

// A root given relative to the working directory (as `--root device-root`)
// must still find the new release's binary for the self-check.
func TestInstallRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	bundle := newFake("1.0.0").write(t, dir)
	t.Chdir(dir)
	res, err := install(t, "root", bundle, nil)
	require.NoError(t, err)
	require.Equal(t, "passed", res.SelfCheck)
	requireIntact(t, filepath.Join(dir, "root"), "1.0.0")
}
