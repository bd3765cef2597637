// Command edgecnn-device is the binary for the Raspberry Pi: run, infer,
// selftest, capture, device info and firmware install, rollback, status and
// mender-module. It links neither the trainer nor plotting nor YAML, so it
// stays small and starts fast; the workstation binary (cmd/edgecnn) has
// these commands too, plus training, quantisation and bundle building.
package main

import (
	"os"

	"github.com/edgecnn/edgecnn/internal/cli"
)

func main() { os.Exit(cli.Execute(cli.NewDeviceRoot(), os.Stderr)) }
