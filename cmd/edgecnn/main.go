// Command edgecnn trains a convnet from folders of images, quantises it to
// int8, and runs it on a Raspberry Pi camera in fixed memory.
//
// Each subcommand lives in its own file and registers itself on rootCmd in an
// init function.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/edgecnn/edgecnn/infer/kernel"
)

var rootCmd = &cobra.Command{
	Use:   "edgecnn",
	Short: "Train, quantise and run a camera classifier on a Raspberry Pi",
	Long: `edgecnn trains a convnet from folders of labelled images (the Keras way),
quantises it to int8 with calibration on real images, checks int8 against
float accuracy, and classifies camera frames on a Raspberry Pi in fixed memory.`,
	Example: `  edgecnn gen-data -o data --train 600 --valid 200 --size 32   # or your photos: DIR/<class>/*.jpg
  edgecnn train --data data/train --valid data/valid --arch seed-tutorial --image-size 32 -o model.ecnn
  edgecnn quantize --model model.ecnn --data data/train --valid data/valid -o model.q8.ecnn
  edgecnn run --model model.q8.ecnn --camera 0 --gpio GPIO17=Truck
  make demo   # all of it, from the source tree (scripts/demo.sh)`,
	Version:       version(debug.ReadBuildInfo()),
	SilenceUsage:  true,
	SilenceErrors: true,
	// EDGECNN_KERNEL picks the int8 kernel implementation (see
	// "edgecnn device info" for the ones this CPU runs).
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

func main() { os.Exit(execute(rootCmd, os.Stderr)) }

// internalErrorCode is the exit code of a panic (EX_SOFTWARE).
const internalErrorCode = 70

// execute runs the command tree and returns the exit code. An error is one
// line on stderr; a panic is a bug, reported in one line as an internal
// error instead of a goroutine trace.
func execute(root *cobra.Command, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ")
			fmt.Fprintf(stderr, "edgecnn: internal error (a bug; please report it with the command line): %s\n", msg)
			code = internalErrorCode
		}
	}()
	refuseUnknownSubcommands(root)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "edgecnn:", err)
		return exitCode(err)
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

// refuseUnknownSubcommands makes every command below root that only groups
// others (firmware, device) refuse an unknown subcommand or stray argument
// instead of printing its help and succeeding; alone, it prints its help.
func refuseUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if !c.Runnable() && c.HasSubCommands() {
			c.Args = cobra.NoArgs
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		refuseUnknownSubcommands(c)
	}
}

// exitError carries a specific exit code (for example a failed parity budget).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// stderrIsTerminal reports whether progress bars should be drawn.
func stderrIsTerminal() bool {
	return term.IsTerminal(int(os.Stderr.Fd()))
}
