package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbidden are import paths (and path prefixes ending in "/") the device
// binary must not link: the trainer and the workstation's workflows,
// plotting and its fonts, progress bars, and YAML.
var forbidden = []string{
	"github.com/edgecnn/edgecnn/train",
	"github.com/edgecnn/edgecnn/train/",
	"github.com/edgecnn/edgecnn/dataset",
	"github.com/edgecnn/edgecnn/calib",
	"github.com/edgecnn/edgecnn/quantize",
	"github.com/edgecnn/edgecnn/parity",
	"github.com/edgecnn/edgecnn/pipeline",
	"github.com/edgecnn/edgecnn/synth",
	"github.com/edgecnn/edgecnn/firmware/configfile",
	"github.com/edgecnn/edgecnn/internal/crossbuild",
	"gonum.org/",
	"codeberg.org/",
	"git.sr.ht/",
	"golang.org/x/image/font",
	"golang.org/x/image/font/",
	"github.com/schollz/progressbar/",
	"go.yaml.in/",
	"gopkg.in/yaml.v2",
	"gopkg.in/yaml.v3",
}

// TestDeviceBinaryDeps lists the packages the device binary links (go list
// -deps, for linux/arm64 and linux/amd64) and refuses any forbidden one.
func TestDeviceBinaryDeps(t *testing.T) {
	for _, goarch := range []string{"arm64", "amd64"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
		out, err := cmd.Output()
		require.NoError(t, err, "go list for %s", goarch)
		deps := strings.Fields(string(out))
		require.Contains(t, deps, "github.com/edgecnn/edgecnn/infer", "go list found the device's packages")
		for _, d := range deps {
			for _, f := range forbidden {
				bad := d == f || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)
				require.False(t, bad, "linux/%s: edgecnn-device links %s (forbidden: %s)", goarch, d, f)
			}
		}
	}
}

// TestForbiddenMatchesWorkstation checks the forbidden list would catch
// something: the workstation binary links train, gonum, fonts and YAML.
func TestForbiddenMatchesWorkstation(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../edgecnn").Output()
	require.NoError(t, err)
	caught := map[string]bool{}
	for _, d := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if d == f || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f) {
				caught[f] = true
			}
		}
	}
	for _, f := range []string{"github.com/edgecnn/edgecnn/train", "gonum.org/", "go.yaml.in/", "golang.org/x/image/font"} {
		require.True(t, caught[f], "the workstation binary should link %s", f)
	}
}
