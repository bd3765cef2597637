package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/samefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// calibFlags are the calibration options calib and quantize share.
type calibFlags struct {
	method     string
	percentile float64
	samples    int
	seed       int64
}

func (c *calibFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.method, "method", calib.Entropy, "range selection: "+strings.Join(calib.Methods, ", "))
	f.Float64Var(&c.percentile, "percentile", calib.DefaultPercentile, "percentile kept by --method percentile")
	f.IntVar(&c.samples, "samples", 500, "calibration images, drawn class-balanced from --data")
	f.Int64Var(&c.seed, "seed", 1, "seed of the calibration sample")
}

// calibrate measures m's activation ranges on images from dir, writing
// warnings to stderr.
func (c *calibFlags) calibrate(m *model.Model, dir string, stderr io.Writer) (*calib.Table, *dataset.Dataset, error) {
	net, err := train.FromModel(m)
	if err != nil {
		return nil, nil, err
	}
	ds, err := datasetForModel(dir, m)
	if err != nil {
		return nil, nil, err
	}
	if c.samples > 0 && c.samples < ds.Len() {
		ds = ds.Subsample(c.samples, c.seed)
	}
	t, err := calib.Calibrate(net, m, ds, calib.Options{Method: c.method, Percentile: c.percentile, Samples: c.samples, Seed: c.seed,
		Warn: func(msg string) { fmt.Fprintln(stderr, "warning:", msg) }})
	return t, ds, err
}

func newCalibCmd() *cobra.Command {
	var (
		cf             calibFlags
		modelPath, dir string
		out            string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "calib --model M --data DIR -o TABLE",
		Short: "Measure a float model's activation ranges for int8 quantisation",
		Long: `calib runs the float model over calibration images (--samples of them, drawn
class-balanced from --data with --seed, so the same command gives the same
table) and records the range of every activation tensor: the input and each
layer's output. The range comes from --method:

  minmax      the observed minimum and maximum
  percentile  the --percentile-th percentile (default 99.99), clipping rare outliers
  entropy     TensorRT's KL-divergence threshold search (default)
  mse         the range with the least expected squared quantisation error

The input's range follows from the model's preprocessing, and a sigmoid or
softmax head is measured on its logits with min/max. The table is a small text
file, one line per tensor (name, min, max, scale, zero point), headed by the
model's hash: quantize refuses a table made for another model.`,
		Example: `  edgecnn calib --model model.ecnn --data photos/train -o calib.table
  edgecnn calib --model model.ecnn --data photos/train --samples 1000 --method percentile --percentile 99.9 -o calib.table
  edgecnn quantize --model model.ecnn --calib calib.table --valid photos/valid -o model.q8.ecnn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := samefile.CheckOutput("-o", out, samefile.Input{Flag: "--model", Path: modelPath}); err != nil {
				return err
			}
			m, err := model.Load(modelPath)
			if err != nil {
				return err
			}
			t, _, err := cf.calibrate(m, dir, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := t.Write(out); err != nil {
				return err
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), t)
			}
			return printTable(cmd.OutOrStdout(), t, out)
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "float32 model (.ecnn)")
	f.StringVar(&dir, "data", "", "folder of calibration images, one subfolder per class")
	f.StringVarP(&out, "output", "o", "", "calibration table to write")
	f.BoolVar(&asJSON, "json", false, "print the table as JSON")
	for _, name := range []string{"model", "data", "output"} {
		cmd.MarkFlagRequired(name)
	}
	cli.AddMaxPixelsFlag(cmd)
	return cmd
}

func printTable(w io.Writer, t *calib.Table, path string) error {
	fmt.Fprintf(w, "%s: %s calibration of %s on %d images (seed %d)\n", path, t.Method, t.Model, t.Samples, t.Seed)
	fmt.Fprintf(w, "  %-28s %10s %10s %12s %5s\n", "tensor", "min", "max", "scale", "zp")
	for _, e := range t.Entries {
		fmt.Fprintf(w, "  %-28s %10.4g %10.4g %12.5g %5d\n", e.Name, e.Min, e.Max, e.Scale, e.ZeroPoint)
	}
	return nil
}

func init() { rootCmd.AddCommand(newCalibCmd()) }
