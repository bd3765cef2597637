package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/samefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/parity"
	"github.com/edgecnn/edgecnn/pipeline"
	"github.com/edgecnn/edgecnn/quantize"
)

// quantizeJob holds quantize's flags.
type quantizeJob struct {
	cf                            calibFlags
	modelPath, tablePath, dataDir string
	validDir, out, dtype          string
	budget                        parity.Budget
	force, asJSON                 bool
	probes, reportImages, workers int
}

func newQuantizeCmd() *cobra.Command {
	var j quantizeJob
	cmd := &cobra.Command{
		Use:   "quantize --model M (--calib TABLE | --data DIR) -o OUT",
		Short: "Quantise a float model to int8 (or float16), gated by a parity check",
		Long: `quantize folds BatchNormalization into the convolution before it, drops
Dropout, fuses ReLU as a clamp, quantises weights per output channel to int8
([-127, 127]) and biases to int32, sets every activation's scale and zero point
from the calibration table (--calib, or calibrate now on --data with --method),
packs the weights for the runtime's kernels and writes the model atomically.

With --valid it runs the parity check on those images and refuses to write a
model that loses more than --max-drop accuracy points or agrees with the float
model on fewer than --min-agreement of them, naming the layers with the worst
error (exit code 3; --force writes it anyway). The model stores its parity
figures and --probes images with the runtime's outputs for them, so a device
can check itself after install (edgecnn selftest).

The report lists per layer the weight SQNR, the activation SQNR (dB) and cosine
similarity of the quantised against the float activations on the calibration
images, the weight sizes, and the model sizes.

--dtype float16 stores the weights as float16 instead (computed in float32).`,
		Example: `  edgecnn quantize --model model.ecnn --data photos/train --valid photos/valid -o model.q8.ecnn
  edgecnn calib --model model.ecnn --data photos/train --method percentile -o calib.table
  edgecnn quantize --model model.ecnn --calib calib.table --valid photos/valid -o model.q8.ecnn
  edgecnn quantize --model model.ecnn --data photos/train --method mse --max-drop 1 -o model.q8.ecnn --json
  edgecnn quantize --model model.ecnn --dtype float16 --valid photos/valid -o model.f16.ecnn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return j.run(cmd.OutOrStdout(), cmd.ErrOrStderr()) },
	}
	j.cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&j.modelPath, "model", "", "float32 model (.ecnn)")
	f.StringVar(&j.tablePath, "calib", "", "calibration table made by edgecnn calib")
	f.StringVar(&j.dataDir, "data", "", "calibration images (calibrate now, unless --calib is given)")
	f.StringVar(&j.validDir, "valid", "", "labelled images for the parity gate")
	f.StringVarP(&j.out, "output", "o", "", "model file to write")
	f.StringVar(&j.dtype, "dtype", string(model.Int8), "int8 or float16")
	f.BoolVar(&j.force, "force", false, "write the model even if it breaks the parity budget")
	f.IntVar(&j.probes, "probes", 4, "self-check images stored in the model")
	f.IntVar(&j.reportImages, "report-images", 200, "calibration images compared layer by layer")
	f.IntVar(&j.workers, "workers", 1, "runtimes classifying images in parallel for the parity check (0 = all cores)")
	f.BoolVar(&j.asJSON, "json", false, "print the report as JSON")
	registerBudget(cmd, &j.budget)
	for _, name := range []string{"model", "output"} {
		cmd.MarkFlagRequired(name)
	}
	cli.AddMaxPixelsFlag(cmd)
	return cmd
}

func (j *quantizeJob) run(stdout, stderr io.Writer) error {
	if err := samefile.CheckOutput("-o", j.out, samefile.Input{Flag: "--model", Path: j.modelPath},
		samefile.Input{Flag: "--calib", Path: j.tablePath}); err != nil {
		return err
	}
	m, err := model.Load(j.modelPath)
	if err != nil {
		return err
	}
	opt := pipeline.QuantizeOptions{Model: m, Source: j.modelPath, DType: model.DType(j.dtype), Budget: j.budget, Force: j.force,
		Probes: j.probes, ReportImages: j.reportImages, Workers: cli.ResolveThreads(j.workers), Output: j.out,
		Warn: func(msg string) { fmt.Fprintln(stderr, "warning:", msg) }}
	switch opt.DType {
	case model.Int8:
		if opt.Table, opt.Calib, err = j.table(m, stderr); err != nil {
			return err
		}
	case model.Float16:
		if j.dataDir != "" {
			if opt.Calib, err = datasetForModel(j.dataDir, m); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("--dtype %q: want int8 or float16", j.dtype)
	}
	if j.validDir != "" {
		if opt.Valid, err = datasetForModel(j.validDir, m); err != nil {
			return err
		}
	}
	rep, err := pipeline.Quantize(opt)
	if rep != nil && err != nil { // the model broke the parity budget
		j.print(stdout, rep)
		return budgetError(fmt.Errorf("%w (--force writes it anyway)", err))
	}
	if err != nil {
		return err
	}
	return j.print(stdout, rep)
}

// table reads --calib or calibrates on --data; it also returns the
// calibration images when there are any.
func (j *quantizeJob) table(m *model.Model, stderr io.Writer) (*calib.Table, *dataset.Dataset, error) {
	switch {
	case j.tablePath != "":
		t, err := calib.ReadTable(j.tablePath)
		if err != nil {
			return nil, nil, err
		}
		var ds *dataset.Dataset
		if j.dataDir != "" {
			if ds, err = datasetForModel(j.dataDir, m); err != nil {
				return nil, nil, err
			}
			ds = ds.Subsample(max(t.Samples, 1), t.Seed)
		}
		return t, ds, nil
	case j.dataDir != "":
		return j.cf.calibrate(m, j.dataDir, stderr)
	}
	return nil, nil, errors.New("int8 quantisation needs --calib TABLE or --data DIR (calibration images)")
}

func (j *quantizeJob) print(w io.Writer, r *pipeline.QuantizeReport) error {
	if j.asJSON {
		return cli.PrintJSON(w, r)
	}
	if r.OutputBytes > 0 {
		fmt.Fprintf(w, "wrote %s (%s", r.Output, r.DType)
		if r.Calib != "" {
			fmt.Fprintf(w, ", %s calibration", r.Calib)
		}
		fmt.Fprintf(w, ", %d probes)\n", r.Probes)
	}
	if r.Weights != nil {
		printWeights(w, r.Weights)
	}
	if len(r.Activations) > 0 {
		fmt.Fprintln(w, "activations on the calibration images, quantised vs float:")
		printLayerErrors(w, r.Activations)
	}
	if r.OutputBytes > 0 {
		fmt.Fprintf(w, "model size: float32 %s, %s %s (%.1fx smaller)\n", humanBytes(r.FloatBytes), r.DType, humanBytes(r.OutputBytes),
			float64(r.FloatBytes)/float64(r.OutputBytes))
	}
	if r.Parity != nil {
		r.Parity.Layers = nil // printed above
		printParity(w, r.Parity, r.DType)
	}
	return nil
}

func printWeights(w io.Writer, rep *quantize.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\ttype\tmerged\tactivation\tscale\tzero point\tfloat32 weights\tint8 weights\tweight SQNR dB\t\n")
	for _, l := range rep.Layers {
		merged, wf, wq, sq := "", "", "", ""
		for i, n := range l.Merged {
			if i > 0 {
				merged += ","
			}
			merged += n
		}
		if l.FloatWeightBytes > 0 {
			wf, wq, sq = humanBytes(int64(l.FloatWeightBytes)), humanBytes(int64(l.Int8WeightBytes)), fmt.Sprintf("%.1f", l.WeightSQNR)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.5g\t%d\t%s\t%s\t%s\t\n", l.Name, l.Type, merged, l.Activation, l.Output.Scale, l.Output.ZeroPoint, wf, wq, sq)
	}
	tw.Flush()
}

// humanBytes formats a size in B, KiB or MiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func init() { rootCmd.AddCommand(newQuantizeCmd()) }
