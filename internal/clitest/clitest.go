// Package clitest holds what the tests of the command packages (cmd/edgecnn,
// internal/cli) share: running a command in process, building a binary,
// the shared car-truck images, and small trained and untrained models. Only
// tests import it.
package clitest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/synth"
	"github.com/edgecnn/edgecnn/train"
)

// Run runs a fresh command with args and returns stdout and stderr.
func Run(t *testing.T, cmd *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errw.String(), err
}

// Build builds the command package pkg (a module import path such as
// github.com/edgecnn/edgecnn/cmd/edgecnn-device) as a cgo-free static
// linux binary for goarch and returns its path.
func Build(t testing.TB, pkg, goarch string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg)+"-"+goarch)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// AllCommands is root and every command below it.
func AllCommands(root *cobra.Command) []*cobra.Command {
	all := []*cobra.Command{root}
	for _, c := range root.Commands() {
		all = append(all, AllCommands(c)...)
	}
	return all
}

// FirstImage returns the first JPEG in a folder of class folders.
func FirstImage(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*.jpg"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return m[0]
}

// SaveUntrained writes an untrained float seed-tutorial model (16x16, the
// synth classes) initialised from seed.
func SaveUntrained(t *testing.T, path string, seed int64) {
	t.Helper()
	net, err := train.Preset("seed-tutorial", 16, 16, 3, 2)
	require.NoError(t, err)
	require.NoError(t, net.Init(seed))
	m, err := net.ToModel(synth.ClassNames, model.Preprocess{Height: 16, Width: 16, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255})
	require.NoError(t, err)
	require.NoError(t, model.Save(path, m))
}

// CarTruckValid holds the real images the end-to-end tests use.
// It is relative to a package two levels below the repository root (cmd/X,
// internal/X), where go test runs that package's tests.
const CarTruckValid = "../../../shared/data/car-truck/valid"

// TrainedModel trains seed-tutorial at 32x32 for a few epochs on 400 of
// the car-truck images and quantises it (calibrated on 64 of them), as
// edgecnn train and edgecnn quantize do, so its labels mean something.
func TrainedModel(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(CarTruckValid); err != nil {
		t.Skipf("needs the shared car-truck images in %s", CarTruckValid)
	}
	return TrainedModelOn(t, CarTruckValid)
}

// TrainedModelOn is trainedModel on the labelled image folder dir.
func TrainedModelOn(t *testing.T, dir string) string {
	t.Helper()
	ds, err := dataset.FromDirectory(dir, dataset.Options{Height: 32, Width: 32, Warn: func(string) {}})
	require.NoError(t, err)
	ds = ds.Subsample(400, 1)
	net, err := train.Preset("seed-tutorial", 32, 32, 3, len(ds.ClassNames))
	require.NoError(t, err)
	require.NoError(t, net.Init(1))
	batches := ds.Batches(32, true, 1, nil, 1.0/255, 0)
	_, err = net.Fit(context.Background(), batches, nil, train.FitOptions{Epochs: 4, BatchSize: 32})
	require.NoError(t, err)
	pre := model.Preprocess{Height: 32, Width: 32, Channels: 3, Interpolation: preprocess.Bilinear, Scale: 1.0 / 255}
	m, err := net.ToModel(ds.ClassNames, pre)
	require.NoError(t, err)
	table, err := calib.Calibrate(net, m, ds, calib.Options{Method: calib.MinMax, Samples: 64, Seed: 1, Warn: func(string) {}})
	require.NoError(t, err)
	q, _, err := quantize.Quantize(m, table, quantize.Options{Source: "test"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.q8.ecnn")
	require.NoError(t, model.Save(path, q))
	return path
}

// CarTruckImages returns the first n Car and the first n Truck images of
// the shared validation set, or skips the test without them.
func CarTruckImages(t *testing.T, n int) []string {
	t.Helper()
	var files []string
	for _, class := range []string{"Car", "Truck"} {
		m, _ := filepath.Glob(filepath.Join(CarTruckValid, class, "*.jpg"))
		sort.Strings(m)
		if len(m) < n {
			t.Skipf("needs the shared car-truck images in %s", CarTruckValid)
		}
		files = append(files, m[:n]...)
	}
	return files
}

// The two command packages Build builds.
const (
	WorkstationPkg = "github.com/edgecnn/edgecnn/cmd/edgecnn"
	DevicePkg      = "github.com/edgecnn/edgecnn/cmd/edgecnn-device"
)

// WriteImages writes n varied images (PNG and JPEG) into a folder tree.
func WriteImages(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, 40+i%3*8, 30+i%2*10))
		for y := 0; y < img.Rect.Dy(); y++ {
			for x := 0; x < img.Rect.Dx(); x++ {
				img.SetNRGBA(x, y, color.NRGBA{uint8(x * (i + 3)), uint8(y * 9 * (i%4 + 1)), uint8((x + y) * i), 255})
			}
		}
		sub, ext := []string{"a", "b"}[i%2], []string{".png", ".jpg"}[i%2]
		imagefiletest.Write(t, filepath.Join(dir, sub, strings.Repeat("x", i%3)+string(rune('0'+i))+ext), img)
	}
	return dir
}

// RunBinary runs the binary (through qemu when given) and returns stdout
// and stderr.
func RunBinary(t *testing.T, qemu []string, bin string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	argv := append(append(qemu, bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	require.NoError(t, cmd.Run(), "%s", e.String())
	return o.Bytes(), e.Bytes()
}
