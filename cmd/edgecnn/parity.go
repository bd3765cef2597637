package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/parity"
)

// budgetExitCode is the exit code of a model that breaks its parity budget.
const budgetExitCode = 3

// registerBudget adds --max-drop and --min-agreement.
func registerBudget(cmd *cobra.Command, b *parity.Budget) {
	*b = parity.DefaultBudget
	cmd.Flags().Float64Var(&b.MaxDrop, "max-drop", b.MaxDrop, "largest allowed accuracy loss, in percentage points")
	cmd.Flags().Float64Var(&b.MinAgreement, "min-agreement", b.MinAgreement, "smallest allowed fraction of images where both models pick the same class")
}

// budgetError wraps a broken budget so the command exits with budgetExitCode.
func budgetError(err error) error {
	var be *parity.BudgetError
	if errors.As(err, &be) {
		return &cli.ExitError{Code: budgetExitCode, Err: err}
	}
	return err
}

// parityReport is what parity prints with --json.
type parityReport struct {
	Float  string        `json:"float"`
	Int8   string        `json:"int8"`
	DType  model.DType   `json:"dtype"`
	Budget parity.Budget `json:"budget"`
	Passed bool          `json:"passed"`
	Failed string        `json:"failed,omitempty"`
	*parity.Result
}

func newParityCmd() *cobra.Command {
	var (
		floatPath, qPath, dir string
		budget                parity.Budget
		layerImages, workers  int
		asJSON                bool
	)
	cmd := &cobra.Command{
		Use:   "parity --float M --int8 Q --data DIR",
		Short: "Compare an int8 (or float16) model with its float model on labelled images",
		Long: `parity classifies every image of --data with the float32 model (the training
code's forward pass) and with the quantised model (the device runtime), on the
same uint8 images at the model's input size, and reports both accuracies, top-1
agreement, per-class recall, the mean and largest probability difference, and
per layer the SQNR (dB) and cosine similarity of the activations on the first
--layer-images images.

It exits with code 3 when the quantised model breaks the budget: an accuracy
loss above --max-drop points or an agreement below --min-agreement.`,
		Example: `  edgecnn parity --float model.ecnn --int8 model.q8.ecnn --data photos/valid
  edgecnn parity --float model.ecnn --int8 model.q8.ecnn --data photos/valid --json
  edgecnn parity --float model.ecnn --int8 model.f16.ecnn --data photos/valid --max-drop 0.1 --min-agreement 0.999`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fm, err := model.Load(floatPath)
			if err != nil {
				return err
			}
			qm, err := model.Load(qPath)
			if err != nil {
				return err
			}
			if qm.DType == model.Float32 {
				return fmt.Errorf("--int8 %s is a float32 model; pass the quantised one (edgecnn quantize writes it)", qPath)
			}
			ds, err := datasetForModel(dir, fm)
			if err != nil {
				return err
			}
			res, err := parity.Compare(fm, qm, ds, parity.Options{Workers: cli.ResolveThreads(workers), LayerImages: layerImages})
			if err != nil {
				return err
			}
			verdict := res.Check(budget)
			if asJSON {
				r := parityReport{Float: floatPath, Int8: qPath, DType: qm.DType, Budget: budget, Passed: verdict == nil, Result: res}
				if verdict != nil {
					r.Failed = verdict.Error()
				}
				if err := cli.PrintJSON(cmd.OutOrStdout(), r); err != nil {
					return err
				}
			} else {
				printParity(cmd.OutOrStdout(), res, qm.DType)
			}
			return budgetError(verdict)
		},
	}
	f := cmd.Flags()
	f.StringVar(&floatPath, "float", "", "float32 model (.ecnn)")
	f.StringVar(&qPath, "int8", "", "quantised model (.ecnn, int8 or float16)")
	f.StringVar(&dir, "data", "", "folder of labelled images, one subfolder per class")
	f.IntVar(&layerImages, "layer-images", 200, "images compared layer by layer (0 skips the per-layer report)")
	f.IntVar(&workers, "workers", 1, "runtimes classifying images in parallel (0 = all cores)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON (float_accuracy, int8_accuracy, agreement, layers, ...)")
	registerBudget(cmd, &budget)
	for _, name := range []string{"float", "int8", "data"} {
		cmd.MarkFlagRequired(name)
	}
	cli.AddMaxPixelsFlag(cmd)
	return cmd
}

// printParity writes a readable parity report.
func printParity(w io.Writer, r *parity.Result, dtype model.DType) {
	fmt.Fprintf(w, "parity on %s (%d images): float32 %.2f%%, %s %.2f%% (%+.2f points), top-1 agreement %.2f%% (%d differ)\n",
		r.Data, r.Images, 100*r.FloatAccuracy, dtype, 100*r.Int8Accuracy, 100*(r.Int8Accuracy-r.FloatAccuracy), 100*r.Agreement, r.Disagreements)
	fmt.Fprintf(w, "probability difference: mean %.4f, max %.4f\n", r.MeanAbsDiff, r.MaxAbsDiff)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "class\timages\tfloat32 recall\t%s recall\t\n", dtype)
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.2f%%\t\n", c.Name, c.Images, 100*c.FloatRecall, 100*c.Int8Recall)
	}
	tw.Flush()
	if len(r.Layers) > 0 {
		printLayerErrors(w, r.Layers)
	}
}

// printLayerErrors writes the per-layer activation errors and names the
// layers whose error stands out.
func printLayerErrors(w io.Writer, layers []parity.LayerError) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\ttype\tSQNR dB\tcosine\t\n")
	var out []string
	for _, l := range layers {
		mark := ""
		if l.StandsOut {
			mark = "  <- stands out"
			out = append(out, l.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.5f\t%s\n", l.Name, l.Type, l.SQNR, l.Cosine, mark)
	}
	tw.Flush()
	if len(out) > 0 {
		fmt.Fprintf(w, "layers whose error stands out (SQNR under %d dB and %d dB below the median): %v\n", parity.StandOutMaxDB, parity.StandOutDB, out)
	}
}

func init() { rootCmd.AddCommand(newParityCmd()) }
