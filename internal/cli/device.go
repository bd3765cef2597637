package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/device/board"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/infer/kernel"
)

// NewDeviceCmd is "device" with its "info" subcommand.
func NewDeviceCmd() *cobra.Command {
	dev := &cobra.Command{
		Use:   "device",
		Short: "Facts about the device edgecnn runs on",
	}
	var asJSON bool
	info := &cobra.Command{
		Use:   "info",
		Short: "Board model, CPU features, memory, temperature and the kernel path the runtime uses",
		Long: `info prints the board model (/proc/device-tree/model), the CPU cores and SIMD
features (NEON/asimd, dot product asimddp), memory (/proc/meminfo), the SoC
temperature (/sys/class/thermal/thermal_zone0/temp) and which int8 kernels
the runtime uses on this CPU (generic, neon, sdot, avx2 or avx512vnni) and
which it could use (the environment variable EDGECNN_KERNEL picks one, for
example to compare paths). Facts that cannot be read are "unknown" (null in
JSON).`,
		Example: `  edgecnn device info
  edgecnn device info --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi := board.Read(os.DirFS("/"))
			bi.KernelPath, bi.Kernels = infer.KernelPath(), kernel.Available()
			if asJSON {
				return PrintJSON(cmd.OutOrStdout(), bi)
			}
			printBoardInfo(cmd.OutOrStdout(), bi)
			return nil
		},
	}
	info.Flags().BoolVar(&asJSON, "json", false, "print the facts as JSON")
	dev.AddCommand(info)
	return dev
}

func printBoardInfo(w io.Writer, bi board.Info) {
	features := strings.Join(bi.Features, " ")
	if features == "" {
		features = "none detected"
	}
	fmt.Fprintf(w, "board        %s\n", bi.Model)
	fmt.Fprintf(w, "cpu          %s, %d cores, features: %s\n", bi.Arch, bi.Cores, features)
	fmt.Fprintf(w, "neon         %s\n", yesNo(bi.NEON))
	fmt.Fprintf(w, "dot product  %s\n", yesNo(bi.DotProduct))
	fmt.Fprintf(w, "memory       %s total, %s available\n", mib(bi.MemTotal), mib(bi.MemFree))
	temp := board.Unknown
	if bi.Temperature != nil {
		temp = fmt.Sprintf("%.1f °C", *bi.Temperature)
	}
	fmt.Fprintf(w, "temperature  %s\n", temp)
	fmt.Fprintf(w, "kernel path  %s (available: %s; EDGECNN_KERNEL picks one)\n", bi.KernelPath, strings.Join(bi.Kernels, ", "))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// mib formats a byte count, or "unknown".
func mib(n *int64) string {
	if n == nil {
		return board.Unknown
	}
	return fmt.Sprintf("%.0f MiB", float64(*n)/(1<<20))
}
