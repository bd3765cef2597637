package firmware

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// Names inside an install root.
const (
	CurrentLink  = "current"
	PreviousLink = "previous"
	ReleasesDir  = "releases"
	lockFile     = ".lock"
	newLinkName  = ".current.new"
	swapLinkName = ".link.swap"
	tempPrefix   = ".tmp-"
	trashPrefix  = ".trash-"
)

// releaseTarget is the relative link target of version v.
func releaseTarget(v string) string { return ReleasesDir + "/" + v }

// readLink returns the version a root link (current or previous) points to,
// or "" when the link does not exist.
func readLink(root, name string) (string, error) {
	t, err := os.Readlink(filepath.Join(root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	v, ok := strings.CutPrefix(t, ReleasesDir+"/")
	if !ok || CheckVersion(v) != nil {
		return "", fmt.Errorf("%s: points to %q, not to a folder in %s/", filepath.Join(root, name), t, ReleasesDir)
	}
	return v, nil
}

// exchange swaps two paths atomically (renameat2 RENAME_EXCHANGE). It
// reports errors.ErrUnsupported when the file system cannot.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errors.ErrUnsupported
	}
	if err != nil {
		return fmt.Errorf("exchange %s and %s: %w", a, b, err)
	}
	return nil
}

// symlinkAt makes name (in root) point to target, replacing it atomically
// through a temporary link.
func symlinkAt(root, name, target string) error {
	tmp := filepath.Join(root, swapLinkName)
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(root, name))
}

// switchCurrent points current at version v and previous at the release
// current pointed to before (if any). The switch itself is one atomic
// exchange; step is called before it ("link-new") and after it ("previous").
func switchCurrent(root, v string, step func(string) error) (old string, err error) {
	if old, err = readLink(root, CurrentLink); err != nil {
		return "", err
	}
	newLink := filepath.Join(root, newLinkName)
	os.Remove(newLink)
	if err := os.Symlink(releaseTarget(v), newLink); err != nil {
		return "", err
	}
	if err := step("link-new"); err != nil {
		return "", err
	}
	cur := filepath.Join(root, CurrentLink)
	if old == "" {
		if err := os.Rename(newLink, cur); err != nil {
			return "", err
		}
		return "", atomicfile.SyncDir(root)
	}
	switch err := exchange(newLink, cur); {
	case errors.Is(err, errors.ErrUnsupported):
		// No RENAME_EXCHANGE: the rename alone is still atomic for current.
		if err := os.Rename(newLink, cur); err != nil {
			return "", err
		}
		if err := os.Symlink(releaseTarget(old), newLink); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	// newLink now points to the old release.
	if err := atomicfile.SyncDir(root); err != nil {
		return "", err
	}
	if err := step("previous"); err != nil {
		return old, err
	}
	if err := os.Rename(newLink, filepath.Join(root, PreviousLink)); err != nil {
		return old, err
	}
	return old, atomicfile.SyncDir(root)
}

// swapLinks exchanges current and previous.
func swapLinks(root, cur, prev string) error {
	err := exchange(filepath.Join(root, CurrentLink), filepath.Join(root, PreviousLink))
	if errors.Is(err, errors.ErrUnsupported) {
		if err = symlinkAt(root, CurrentLink, releaseTarget(prev)); err == nil {
			err = symlinkAt(root, PreviousLink, releaseTarget(cur))
		}
	}
	if err != nil {
		return err
	}
	return atomicfile.SyncDir(root)
}

// lockRoot takes root's install lock; the returned function releases it.
func lockRoot(root string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(root, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: another install or rollback is running (%v)", root, err)
	}
	return func() { f.Close() }, nil
}

// cleanLeftovers removes what an interrupted install or rollback can leave:
// temporary release folders, folders set aside, and temporary links.
func cleanLeftovers(root string) error {
	for _, name := range []string{newLinkName, swapLinkName} {
		if err := os.Remove(filepath.Join(root, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	rel := filepath.Join(root, ReleasesDir)
	entries, err := os.ReadDir(rel)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) || strings.HasPrefix(e.Name(), trashPrefix) {
			if err := os.RemoveAll(filepath.Join(rel, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
