// Package cli holds the commands the device binary (edgecnn-device) and the
// workstation binary (edgecnn) share: run, infer, selftest, capture, device
// info and the device side of firmware (install, rollback, status,
// mender-module), and the plumbing of both command trees: the root command,
// flag range checks, one-line errors with exit codes, and JSON output.
//
// It must not import the trainer, the plotting library or YAML: the device
// binary links only what its commands need (see the deps test).
package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// NewRoot is a root command named use with the behaviour both binaries
// share: --version, flag range checks before every command, EDGECNN_KERNEL,
// and errors returned, not printed (Execute prints them).
func NewRoot(use, short, long, example string) *cobra.Command {
	return &cobra.Command{
		Use:           use,
		Short:         short,
		Long:          long,
		Example:       example,
		Version:       version(debug.ReadBuildInfo()),
		SilenceUsage:  true,
		SilenceErrors: true,
		// EDGECNN_KERNEL picks the int8 kernel implementation (see
		// "device info" for the ones this CPU runs).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFlags(cmd); err != nil {
				return err
			}
			if name := os.Getenv("EDGECNN_KERNEL"); name != "" {
				if err := kernel.Use(name); err != nil {
					return fmt.Errorf("EDGECNN_KERNEL: %w", err)
				}
			}
			return nil
		},
	}
}

// AddDeviceCommands adds the device commands to root: run, infer, selftest,
// capture, device info, and firmware with install, rollback, status and
// mender-module plus the given extra firmware subcommands (the workstation's
// keygen, build and verify).
func AddDeviceCommands(root *cobra.Command, firmwareExtra ...*cobra.Command) {
	root.AddCommand(NewRunCmd(), NewInferCmd(), NewSelftestCmd(), NewCaptureCmd(), NewDeviceCmd(), NewFirmwareCmd(firmwareExtra...))
}

// NewDeviceRoot is the command tree of edgecnn-device: the device commands
// only.
func NewDeviceRoot() *cobra.Command {
	root := NewRoot("edgecnn-device", "Run an edgecnn camera classifier on a Raspberry Pi",
		`edgecnn-device classifies camera frames with an int8 (or float) .ecnn model in
fixed memory, drives GPIO pins, serves a live page, publishes MQTT events,
captures training images, and installs and rolls back signed firmware
bundles. Training, quantisation and bundle building are in edgecnn, the
workstation binary.`,
		`  edgecnn-device run --model model.q8.ecnn --camera 0 --gpio GPIO17=Truck
  edgecnn-device selftest --model /opt/edgecnn/current/model.ecnn
  sudo edgecnn-device firmware install --pub fleet.key.pub --root /opt/edgecnn car-1.0.0.ecfw`)
	AddDeviceCommands(root)
	return root
}

// internalErrorCode is the exit code of a panic (EX_SOFTWARE).
const internalErrorCode = 70

// Execute runs the command tree and returns the exit code. An error is one
// line on stderr, prefixed with the root's name; a panic is a bug, reported
// in one line as an internal error instead of a goroutine trace.
func Execute(root *cobra.Command, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ")
			fmt.Fprintf(stderr, "%s: internal error (a bug; please report it with the command line): %s\n", root.Name(), msg)
			code = internalErrorCode
		}
	}()
	RefuseUnknownSubcommands(root)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
		return ExitCode(err)
	}
	return 0
}

// version is the module version and the VCS revision the binary was built
// from (with its time, and "+modified" for a tree with uncommitted changes),
// as the Go toolchain records them.
func version(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		v += ", revision " + rev
		if settings["vcs.modified"] == "true" {
			v += "+modified"
		}
		if t := settings["vcs.time"]; t != "" {
			v += " (" + t + ")"
		}
	}
	return v + ", " + bi.GoVersion
}

// RefuseUnknownSubcommands makes every command below root that only groups
// others (firmware, device) refuse an unknown subcommand or stray argument
// instead of printing its help and succeeding; alone, it prints its help.
func RefuseUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if !c.Runnable() && c.HasSubCommands() {
			c.Args = cobra.NoArgs
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		RefuseUnknownSubcommands(c)
	}
}

// ExitError carries a specific exit code (for example a failed parity budget).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit code for err: an ExitError's own, else 1.
func ExitCode(err error) int {
	if e, ok := err.(*ExitError); ok {
		return e.Code
	}
	return 1
}

// PrintJSON writes v as one line of JSON.
func PrintJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// FloatKernels names the runtime's float32 code, which float32 and float16
// models run on (the int8 kernel sets only run int8 models).
const FloatKernels = "float32-go"

// KernelName names the kernels that run a model of dtype d on this CPU.
func KernelName(d model.DType) string {
	if d == model.Int8 {
		return infer.KernelPath()
	}
	return FloatKernels
}
