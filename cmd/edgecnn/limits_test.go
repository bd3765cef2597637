package main

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// resetMaxPixels restores imagefile's default limit after a test that ran
// commands with --max-pixels.
func resetMaxPixels(t *testing.T) {
	t.Cleanup(func() { imagefile.SetMaxPixels(imagefile.DefaultMaxPixels) })
}

// imageCommands are the commands that decode images or camera frames, with
// the required flags and arguments that get them past argument checking.
func imageCommands() map[string]func() (*cobra.Command, []string) {
	return map[string]func() (*cobra.Command, []string){
		"train": func() (*cobra.Command, []string) { return newTrainCmd(), []string{"--data", "d", "-o", "m.ecnn"} },
		"eval":  func() (*cobra.Command, []string) { return newEvalCmd(), []string{"--model", "m", "--data", "d"} },
		"calib": func() (*cobra.Command, []string) {
			return newCalibCmd(), []string{"--model", "m", "--data", "d", "-o", "t"}
		},
		"quantize": func() (*cobra.Command, []string) { return newQuantizeCmd(), []string{"--model", "m", "-o", "q"} },
		"parity": func() (*cobra.Command, []string) {
			return newParityCmd(), []string{"--float", "m", "--int8", "q", "--data", "d"}
		},
		"infer":   func() (*cobra.Command, []string) { return cli.NewInferCmd(), []string{"--model", "m", "x.png"} },
		"predict": func() (*cobra.Command, []string) { return newPredictCmd(), []string{"--model", "m", "x.png"} },
		// run is registered on rootCmd only; executing it means executing the root.
		"run": func() (*cobra.Command, []string) { return rootCmd, []string{"run", "--model", "m", "--camera", "d"} },
	}
}

func TestMaxPixelsFlagOnEveryImageCommand(t *testing.T) {
	resetMaxPixels(t)
	for name, mk := range imageCommands() {
		c, args := mk()
		if c == rootCmd {
			c, _, _ = rootCmd.Find(args)
		}
		fl := c.Flags().Lookup("max-pixels")
		require.NotNil(t, fl, "%s has --max-pixels", name)
		require.Equal(t, strconv.Itoa(imagefile.DefaultMaxPixels), fl.DefValue, name)
	}
	for name, mk := range imageCommands() {
		for _, bad := range []string{"0", "-5"} {
			c, args := mk()
			_, _, err := clitest.Run(t, c, append(args, "--max-pixels", bad)...)
			require.EqualError(t, err, "--max-pixels "+bad+": want a number from 1 to 1099511627776", name)
			if c == rootCmd { // run keeps its flag values between executions
				sub, _, _ := rootCmd.Find(args)
				sub.Flags().Set("max-pixels", strconv.Itoa(imagefile.DefaultMaxPixels))
			}
		}
	}
}

// The flag reaches the decoder: images over it are refused, by name.
func TestMaxPixelsFlagIsApplied(t *testing.T) {
	resetMaxPixels(t)
	f := newQuantFixture(t)                                       // a float model and 16x16 images
	img := filepath.Join(clitest.WriteImages(t, 1), "a", "0.png") // 40x30
	_, stderr, err := clitest.Run(t, newPredictCmd(), "--model", f.model, "--max-pixels", "1199", img)
	require.EqualError(t, err, "1 of 1 images could not be classified")
	require.Contains(t, stderr, img+": image 40x30 is 1200 pixels: too many pixels (the limit is 1199, --max-pixels)")
	require.Equal(t, int64(1199), imagefile.MaxPixels())
	_, _, err = clitest.Run(t, newPredictCmd(), "--model", f.model, "--max-pixels", "1200", img)
	require.NoError(t, err)

	_, _, err = clitest.Run(t, newEvalCmd(), "--model", f.model, "--data", f.valid, "--max-pixels", "255")
	require.ErrorContains(t, err, "no image could be decoded (40 skipped)")
	_, _, err = clitest.Run(t, newEvalCmd(), "--model", f.model, "--data", f.valid, "--max-pixels", "256")
	require.NoError(t, err)
}
