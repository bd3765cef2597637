package cli

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/clitest"
)

// BenchmarkStartup measures a static binary from exec to its first output
// line (the first classified frame) for run with a folder source and
// seed-tutorial@128, and reports the median of the runs as startup-ms (the
// goal for edgecnn-device: at most 50 ms on amd64; edgecnn for comparison).
// Run it with -benchtime 20x for the median of 20.
func BenchmarkStartup(b *testing.B) {
	for _, pkg := range []string{clitest.DevicePkg, clitest.WorkstationPkg} {
		b.Run(filepath.Base(pkg), func(b *testing.B) { benchStartup(b, clitest.Build(b, pkg, runtime.GOARCH)) })
	}
}

func benchStartup(b *testing.B, bin string) {
	model := writeTestModel(b, 128)
	dir := clitest.WriteImages(b, 4)
	var times []time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, "run", "--model", model, "--camera", dir, "--frames", "1", "--json")
		out, err := cmd.StdoutPipe()
		require.NoError(b, err)
		start := time.Now()
		require.NoError(b, cmd.Start())
		_, err = bufio.NewReader(out).ReadString('\n')
		times = append(times, time.Since(start))
		require.NoError(b, err)
		require.NoError(b, cmd.Wait())
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "startup-ms")
}
