// Command edgecnn is the workstation binary: it trains a convnet from folders
// of images, quantises it to int8, builds device bundles, and has every
// command of the device binary (cmd/edgecnn-device) too.
//
// Each workstation subcommand lives in its own file and registers itself on
// rootCmd in an init function; the device commands come from internal/cli.
package main

import (
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/edgecnn/edgecnn/internal/cli"
)

var rootCmd = newRoot()

func newRoot() *cobra.Command {
	root := cli.NewRoot("edgecnn", "Train, quantise and run a camera classifier on a Raspberry Pi",
		`edgecnn trains a convnet from folders of labelled images (the Keras way),
quantises it to int8 with calibration on real images, checks int8 against
float accuracy, and classifies camera frames on a Raspberry Pi in fixed memory.
On the device, the smaller edgecnn-device binary runs the same run, infer,
selftest, capture, device and firmware install commands.`,
		`  edgecnn gen-data -o data --train 600 --valid 200 --size 32   # or your photos: DIR/<class>/*.jpg
  edgecnn train --data data/train --valid data/valid --arch seed-tutorial --image-size 32 -o model.ecnn
  edgecnn quantize --model model.ecnn --data data/train --valid data/valid -o model.q8.ecnn
  edgecnn run --model model.q8.ecnn --camera 0 --gpio GPIO17=Truck
  make demo   # all of it, from the source tree (scripts/demo.sh)`)
	cli.AddDeviceCommands(root, keygenCmd(), buildCmd(), verifyCmd())
	return root
}

func main() { os.Exit(cli.Execute(rootCmd, os.Stderr)) }

// stderrIsTerminal reports whether progress bars should be drawn.
func stderrIsTerminal() bool {
	return term.IsTerminal(int(os.Stderr.Fd()))
}
