// Package crossbuild compiles the device binary, cmd/edgecnn-device, for a
// firmware target with the Go toolchain, from the edgecnn source tree: what
// "edgecnn firmware build" bundles unless it is given a prebuilt binary.
package crossbuild

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/edgecnn/edgecnn/firmware"
)

// ModulePath is the Go module edgecnn-device is built from.
const ModulePath = "github.com/edgecnn/edgecnn"

// Device builds ./cmd/edgecnn-device of the module at source (located with
// LocateSource when empty) for t into out: CGO_ENABLED=0, -trimpath,
// -ldflags "-s -w". go build's output goes to log.
func Device(ctx context.Context, source string, t firmware.Target, out string, log io.Writer) error {
	if source == "" {
		var err error
		if source, err = LocateSource(ctx); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "building edgecnn-device for %s from %s\n", t, source)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", abs, "./cmd/edgecnn-device")
	cmd.Dir = source
	cmd.Env = append(os.Environ(), t.Env()...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s in %s: %w", t, source, err)
	}
	return firmware.CheckBinary(abs, t)
}

// LocateSource finds the root of the edgecnn module from the current
// directory (go env GOMOD), checking it really is ModulePath.
func LocateSource(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("cannot build edgecnn-device: the go toolchain is not usable (%v); pass --binary with a prebuilt edgecnn-device", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("cannot build edgecnn-device: the current directory is not inside the edgecnn source; run from the source tree, pass --source, or pass --binary")
	}
	if mod, err := moduleOf(gomod); err != nil {
		return "", err
	} else if mod != ModulePath {
		return "", fmt.Errorf("cannot build edgecnn-device: %s is module %q, not %q; run from the edgecnn source tree or pass --binary", gomod, mod, ModulePath)
	}
	return filepath.Dir(gomod), nil
}

// moduleOf reads the module path from a go.mod file.
func moduleOf(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}
