// Command edgecnn-device is the binary for the Raspberry Pi: run, infer,
// selftest, capture, device info and firmware install, rollback, status and
// mender-module. It links neither the trainer nor plotting nor YAML, so it
// stays small and starts fast; the workstation binary (cmd/edgecnn) has
// these commands too, plus training, quantisation and bundle building.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
)

func newRoot() *cobra.Command {
	root := cli.NewRoot("edgecnn-device", "Run an edgecnn camera classifier on a Raspberry Pi",
		`edgecnn-device classifies camera frames with an int8 (or float) .ecnn model in
fixed memory, drives GPIO pins, serves a live page, publishes MQTT events,
captures training images, and installs and rolls back signed firmware
bundles. Training, quantisation and bundle building are in edgecnn, the
workstation binary.`,
		`  edgecnn-device run --model model.q8.ecnn --camera 0 --gpio GPIO17=Truck
  edgecnn-device selftest --model /opt/edgecnn/current/model.ecnn
  sudo edgecnn-device firmware install --pub fleet.key.pub --root /opt/edgecnn car-1.0.0.ecfw`)
	cli.AddDeviceCommands(root)
	return root
}

func main() { os.Exit(cli.Execute(newRoot(), os.Stderr)) }
