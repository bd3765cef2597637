package firmware

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// runSelfCheck runs "<dir>/edgecnn-device selftest --model <dir>/model.ecnn",
// through wrapper when one is given (an emulator such as qemu-aarch64), and
// returns its combined output.
func runSelfCheck(ctx context.Context, dir string, wrapper []string, timeout time.Duration) (string, error) {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	// The command runs inside dir, so its paths must not be relative.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append(append([]string(nil), wrapper...),
		filepath.Join(dir, BinaryFile), "selftest", "--model", filepath.Join(dir, ModelFile))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return string(out), fmt.Errorf("%s selftest: no answer within %v", args[0], timeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s selftest: %w", filepath.Base(args[0]), err)
	}
	return string(out), nil
}
