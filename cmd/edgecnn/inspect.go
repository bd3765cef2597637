package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/cli"
)

func init() { rootCmd.AddCommand(newInspectCmd()) }

func newInspectCmd() *cobra.Command {
	var path string
	var asJSON bool
	c := &cobra.Command{
		Use:   "inspect --model M",
		Short: "Show a model's layers, cost and memory plan",
		Long: `inspect loads a model with the runtime and shows, per layer, its type, output
shape, multiply-accumulates, weight bytes and quantisation, then the totals and
the planned activation arena against the naive plan (one buffer per tensor)
and against the lower bound (the most bytes of tensors alive at one time).`,
		Example: `  edgecnn inspect --model model.q8.ecnn
  edgecnn inspect --model model.ecnn --json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := infer.LoadFile(path, infer.Options{})
			if err != nil {
				return err
			}
			defer rt.Close()
			s := rt.Summary()
			s.Kernel = cli.KernelName(s.DType)
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), struct {
					File   string   `json:"file"`
					Labels []string `json:"labels"`
					infer.Summary
				}{path, rt.Labels(), s})
			}
			printSummary(cmd.OutOrStdout(), path, rt.Labels(), &s)
			return nil
		},
	}
	c.Flags().StringVar(&path, "model", "", "model file (.ecnn)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	c.MarkFlagRequired("model")
	return c
}

func printSummary(w io.Writer, path string, labels []string, s *infer.Summary) {
	fmt.Fprintf(w, "%s: model %q, %s, input %v, labels %s\n\n", path, s.Model, s.DType, s.Input, strings.Join(labels, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tname\ttype\toutput\tMACs\tweight bytes\tquantisation\t")
	for _, l := range s.Layers {
		q := ""
		if l.Quant != nil {
			q = fmt.Sprintf("scale %.4g zp %d clamp [%d, %d]", l.Quant.Output.Scale, l.Quant.Output.ZeroPoint, l.Quant.ActMin, l.Quant.ActMax)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%d\t%d\t%s\t\n", l.Index, l.Name, l.Type, l.OutputShape, l.MACs, l.WeightBytes, q)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMACs per frame      %d (%.1f M)\n", s.MACs, float64(s.MACs)/1e6)
	fmt.Fprintf(w, "weights             %d bytes\n", s.WeightBytes)
	fmt.Fprintf(w, "arena               %d bytes (%.2fx the lower bound %d, %.0f%% of the naive %d)\n",
		s.ArenaBytes, float64(s.ArenaBytes)/float64(s.ArenaLowerBound), s.ArenaLowerBound, 100*float64(s.ArenaBytes)/float64(s.NaiveBytes), s.NaiveBytes)
	fmt.Fprintf(w, "scratch             %d bytes\n", s.ScratchBytes)
	fmt.Fprintf(w, "prepared weights    %d bytes (%s kernels)\n", s.PreparedBytes, s.Kernel)
	fmt.Fprintf(w, "kernels             %s\n", s.Kernel)
}
