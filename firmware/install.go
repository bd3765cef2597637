package firmware

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// InstallOptions configure Install.
type InstallOptions struct {
	Root string            // install root (created if missing)
	Pub  ed25519.PublicKey // key the bundle must be signed with
	// ForceArch installs a bundle for another platform (staging an SD card
	// from a workstation). Its self-check then runs through ExecWrapper, or
	// is skipped with a warning when ExecWrapper is empty.
	ForceArch   bool
	ExecWrapper []string // e.g. {"qemu-aarch64", "-cpu", "cortex-a72"}
	// SelfCheckTimeout bounds the new binary's self-check; 0 = 5 minutes.
	SelfCheckTimeout time.Duration
	Log              io.Writer // warnings and progress; nil = discard

	hooks *hooks // fault injection for tests
}

// InstallResult reports what Install did.
type InstallResult struct {
	Version  string `json:"version"`
	Release  string `json:"release"`            // the release folder
	Previous string `json:"previous,omitempty"` // version previous now points to
	// AlreadyCurrent: the same bundle was already the current release, so
	// nothing was written.
	AlreadyCurrent bool   `json:"already_current"`
	SelfCheck      string `json:"self_check"` // "passed", "skipped" or "" when nothing was installed
	SelfCheckLog   string `json:"self_check_log,omitempty"`
}

// hooks let tests stop an install at any step or make writes fail.
type hooks struct {
	step   func(name string) error
	writer func(path string, w io.Writer) io.Writer
}

func (h *hooks) at(name string) error {
	if h == nil || h.step == nil {
		return nil
	}
	return h.step(name)
}

func (h *hooks) wrap(path string, w io.Writer) io.Writer {
	if h == nil || h.writer == nil {
		return w
	}
	return h.writer(path, w)
}

// Install verifies the bundle at path completely, then installs it as the
// current release under opt.Root (see the package documentation for the
// steps and what a power cut at each leaves behind).
func Install(ctx context.Context, path string, opt InstallOptions) (*InstallResult, error) {
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	// Nothing is written before the whole bundle has been verified.
	v, err := Verify(path, opt.Pub)
	if err != nil {
		return nil, err
	}
	m := v.Manifest
	host := HostTarget()
	native := m.Target.RunsOn(host)
	if !native && !opt.ForceArch {
		return nil, fmt.Errorf("%s: bundle is for %s, this machine is %s (use --force-arch to stage it for another device)", path, m.Target, host)
	}
	if err := opt.hooks.at("verified"); err != nil {
		return nil, err
	}

	root := opt.Root
	rel := filepath.Join(root, ReleasesDir)
	if err := os.MkdirAll(rel, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.SyncDir(root); err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(root); err == nil && native && abs != m.DeviceRoot {
		fmt.Fprintf(log, "warning: the bundle's systemd unit runs %s/current, not %s/current\n", m.DeviceRoot, abs)
	}
	unlock, err := lockRoot(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := cleanLeftovers(root); err != nil {
		return nil, fmt.Errorf("removing leftovers of an earlier install: %w", err)
	}
	cur, err := readLink(root, CurrentLink)
	if err != nil {
		return nil, err
	}
	res := &InstallResult{Version: m.Version, Release: filepath.Join(rel, m.Version)}
	if done, err := checkExisting(rel, v, cur); err != nil || done {
		res.AlreadyCurrent = done
		return res, err
	}
	if err := checkSpace(root, m.TotalSize()); err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp(rel, tempPrefix+m.Version+"-")
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := opt.hooks.at("temp-dir"); err != nil {
		return nil, err
	}
	if err := extract(path, opt, v, tmp); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return nil, fmt.Errorf("%w: the file system under %s is full (the release needs %d bytes); current is unchanged", err, root, m.TotalSize())
		}
		return nil, err
	}
	if err := opt.hooks.at("self-check"); err != nil {
		return nil, err
	}
	switch {
	case native || len(opt.ExecWrapper) > 0:
		out, err := runSelfCheck(ctx, tmp, opt.ExecWrapper, opt.SelfCheckTimeout)
		res.SelfCheckLog = out
		if err != nil {
			return nil, fmt.Errorf("self-check of release %s failed, current is unchanged: %w\n%s", m.Version, err, out)
		}
		res.SelfCheck = "passed"
	default:
		fmt.Fprintf(log, "warning: release %s is for %s: self-check skipped (pass --exec-wrapper, e.g. \"qemu-aarch64 -cpu cortex-a72\", to run it here)\n", m.Version, m.Target)
		res.SelfCheck = "skipped"
	}

	if err := setAsideExisting(rel, m.Version); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, res.Release); err != nil {
		return nil, err
	}
	committed = true // tmp is gone; undo removes the release folder instead
	if err := atomicfile.SyncDir(rel); err != nil {
		return nil, err
	}
	old, err := switchCurrent(root, m.Version, opt.hooks.at)
	if err != nil {
		if now, _ := readLink(root, CurrentLink); now != m.Version {
			os.RemoveAll(res.Release)
		}
		return nil, fmt.Errorf("switching %s to release %s: %w", filepath.Join(root, CurrentLink), m.Version, err)
	}
	res.Previous = old
	if err := cleanLeftovers(root); err != nil {
		fmt.Fprintf(log, "warning: release %s installed, but leftovers remain: %v\n", m.Version, err)
	}
	return res, nil
}

// checkExisting handles a release folder that already has this version: the
// same bundle as current is done; a different bundle is refused (versions
// are immutable); the same bundle that is not current, or a folder without a
// manifest, is installed afresh.
func checkExisting(rel string, v *Verified, cur string) (done bool, err error) {
	ver := v.Manifest.Version
	dir := filepath.Join(rel, ver)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	have, rerr := os.ReadFile(filepath.Join(dir, ManifestFile))
	same := rerr == nil && bytes.Equal(have, v.ManifestBytes)
	switch {
	case same && cur == ver:
		return true, nil
	case rerr == nil && !same:
		return false, fmt.Errorf("release %s is already installed from a different bundle: versions are immutable, build with a new --version", ver)
	case cur == ver:
		return false, fmt.Errorf("release %s is current but its manifest is unreadable (%v): install a new --version", ver, rerr)
	}
	return false, nil
}

// setAsideExisting renames an existing (non-current) folder of version v out
// of the way so the fresh one can take its name; cleanLeftovers deletes it.
func setAsideExisting(rel, v string) error {
	dir := filepath.Join(rel, v)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	aside, err := os.MkdirTemp(rel, trashPrefix+v+"-")
	if err != nil {
		return err
	}
	return os.Rename(dir, filepath.Join(aside, v))
}

// checkSpace refuses early when the file system cannot hold the release.
func checkSpace(root string, need int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return nil // unknown: the writes will tell
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free < need+1<<20 {
		return fmt.Errorf("%s: not enough space: the release needs %d bytes, %d are free; current is unchanged", root, need, free)
	}
	return nil
}

// extract reads the bundle again (it may have changed since it was
// verified), writing each file into dir while its hash is checked, then
// writes the manifest and signature and syncs everything.
func extract(path string, opt InstallOptions, want *Verified, dir string) error {
	got, err := verifyFile(path, opt.Pub, func(f File, r io.Reader) error {
		mode, _ := parseMode(f.Mode) // validated with the manifest
		return writeSynced(filepath.Join(dir, f.Path), os.FileMode(mode), r, opt.hooks)
	})
	if err != nil {
		return err
	}
	if !bytes.Equal(got.ManifestBytes, want.ManifestBytes) {
		return fmt.Errorf("%s changed during the install", path)
	}
	for name, b := range map[string][]byte{ManifestFile: got.ManifestBytes, SigFile: got.Signature} {
		if err := writeSynced(filepath.Join(dir, name), 0o644, bytes.NewReader(b), opt.hooks); err != nil {
			return err
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return err
	}
	return opt.hooks.at("files-synced")
}

// writeSynced creates path (which must not exist), copies r into it in
// chunks, and fsyncs it. The hook step "write:<name>" runs after the first
// chunk, in the middle of the copy.
func writeSynced(path string, mode os.FileMode, r io.Reader, h *hooks) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s: %w", path, cerr)
		}
	}()
	if err := f.Chmod(mode); err != nil { // exact bits, whatever the umask
		return err
	}
	w := h.wrap(path, f)
	buf := make([]byte, 1<<16)
	for first := true; ; first = false {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("writing %s: %w", path, err)
			}
		}
		if first {
			if err := h.at("write:" + filepath.Base(path)); err != nil {
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: sync: %w", path, err)
	}
	return nil
}
