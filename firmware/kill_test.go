package firmware

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Environment of a child test process that installs a bundle (see
// childInstall).
const (
	envChild   = "EDGECNN_FW_TEST_CHILD"
	envRoot    = "EDGECNN_FW_TEST_ROOT"
	envBundle  = "EDGECNN_FW_TEST_BUNDLE"
	envPauseAt = "EDGECNN_FW_TEST_PAUSE_AT"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		childInstall()
		return
	}
	code := m.Run()
	removeBuilt()
	os.Exit(code)
}

// childInstall runs in a re-executed test binary: it prints "start", then
// installs; at the step named by envPauseAt it prints "paused at STEP" and
// waits to be killed.
func childInstall() {
	pause := os.Getenv(envPauseAt)
	fmt.Println("start")
	_, err := Install(context.Background(), os.Getenv(envBundle), InstallOptions{
		Root: os.Getenv(envRoot), Pub: testPub,
		hooks: &hooks{step: func(s string) error {
			if s == pause {
				fmt.Println("paused at " + s)
				select {}
			}
			return nil
		}},
	})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("done")
	os.Exit(0)
}

// killInstall starts a child that installs bundle into root, waits for the
// line starting with waitFor, sleeps delay, and SIGKILLs it. It returns the
// child's last line.
func killInstall(t *testing.T, root, bundle, pauseAt, waitFor string, delay time.Duration) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envRoot+"="+root, envBundle+"="+bundle, envPauseAt+"="+pauseAt)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	line := ""
	for sc.Scan() {
		line = sc.Text()
		if strings.HasPrefix(line, waitFor) {
			break
		}
	}
	require.True(t, strings.HasPrefix(line, waitFor), "child said %q, never %q", line, waitFor)
	time.Sleep(delay)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	for sc.Scan() {
		line = sc.Text()
	}
	cmd.Wait()
	return line
}

// requireReexec skips when this test binary cannot run itself (under
// qemu-user without binfmt_misc, for example).
func requireReexec(t *testing.T) {
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); err != nil {
		t.Skipf("cannot re-execute the test binary (%v): no child-process kill tests here", err)
	}
}

// TestInstallKilledAtEveryStep SIGKILLs a real install process paused at
// each step, including in the middle of copying the model.
func TestInstallKilledAtEveryStep(t *testing.T) {
	requireReexec(t)
	for _, step := range installSteps(t) {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
			require.NoError(t, err)
			b2 := newFake("2.0.0").write(t, dir)
			last := killInstall(t, root, b2, step, "paused at", 0)
			require.Equal(t, "paused at "+step, last)
			want := "1.0.0"
			if step == "previous" {
				want = "2.0.0"
			}
			requireIntact(t, root, want)

			_, err = install(t, root, b2, nil)
			require.NoError(t, err)
			requireIntact(t, root, "2.0.0")
			requireNoLeftovers(t, root)
		})
	}
}

// TestInstallKilledAtRandomTimes kills installs after growing delays, so
// kills land wherever the process happens to be.
func TestInstallKilledAtRandomTimes(t *testing.T) {
	requireReexec(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	_, err := install(t, root, newFake("1.0.0").write(t, dir), nil)
	require.NoError(t, err)
	b2 := newFake("2.0.0").write(t, dir)
	outcomes := map[string]int{}
	for _, d := range []time.Duration{0, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, 128 * time.Millisecond} {
		last := killInstall(t, root, b2, "", "start", d)
		cur, err := readLink(root, CurrentLink)
		require.NoError(t, err)
		entries, err := os.ReadDir(filepath.Join(root, ReleasesDir))
		require.NoError(t, err)
		outcomes[fmt.Sprintf("%s: current %s, %d entries in releases/", last, cur, len(entries))]++
		require.Contains(t, []string{"1.0.0", "2.0.0"}, cur, "after a kill at %v", d)
		requireIntact(t, root, cur)
		if cur == "2.0.0" { // go back for the next round
			_, err := Rollback(root)
			require.NoError(t, err)
			require.NoError(t, os.RemoveAll(filepath.Join(root, ReleasesDir, "2.0.0")))
		}
	}
	t.Logf("after each kill: %v", outcomes)
	_, err = install(t, root, b2, nil)
	require.NoError(t, err)
	requireIntact(t, root, "2.0.0")
	requireNoLeftovers(t, root)
}
