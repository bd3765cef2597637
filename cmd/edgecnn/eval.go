package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/spf13/cobra"
)

// evalReport is what "edgecnn eval --json" prints.
type evalReport struct {
	Model     string    `json:"model"`
	Data      string    `json:"data"`
	Images    int       `json:"images"`
	Loss      float64   `json:"loss"`
	Accuracy  float64   `json:"accuracy"`
	Classes   []string  `json:"classes"`
	Confusion [][]int   `json:"confusion"` // [true][predicted]
	Precision []float64 `json:"precision"`
	Recall    []float64 `json:"recall"`
}

func newEvalCmd() *cobra.Command {
	var (
		modelPath, dir string
		batch, threads int
		asJSON         bool
	)
	c := &cobra.Command{
		Use:   "eval --model M --data DIR",
		Short: "Evaluate a float model on a folder of labelled images",
		Long: `eval runs a float model over DIR/<class>/* (images prepared exactly as in
training) and reports the loss, the accuracy, the confusion matrix (rows: true
class, columns: predicted) and each class's precision and recall.`,
		Example: `  edgecnn eval --model model.ecnn --data car-truck/valid
  edgecnn eval --model model.ecnn --data car-truck/valid --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, net, err := loadFloatNet(modelPath)
			if err != nil {
				return err
			}
			net.SetThreads(threads)
			ds, err := datasetForModel(dir, m)
			if err != nil {
				return err
			}
			if strings.Join(ds.ClassNames, "/") != strings.Join(m.Labels, "/") {
				return fmt.Errorf("%s has classes %v, the model %s was trained on %v", dir, ds.ClassNames, modelPath, m.Labels)
			}
			ev, err := net.Evaluate(ds.Batches(batch, false, 0, nil, m.Input.Scale, m.Input.Offset), batch)
			if err != nil {
				return err
			}
			rep := evalReport{Model: modelPath, Data: dir, Images: ds.Len(), Loss: ev.Loss, Accuracy: ev.Accuracy,
				Classes: m.Labels, Confusion: ev.Confusion}
			rep.Precision, rep.Recall = ev.PrecisionRecall()
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), rep)
			}
			printEval(cmd.OutOrStdout(), &rep)
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "float model (.ecnn)")
	c.Flags().StringVar(&dir, "data", "", "images: DIR/<class>/*")
	c.Flags().IntVar(&batch, "batch-size", 64, "batch size")
	c.Flags().IntVar(&threads, "threads", 0, "worker threads (0 = all cores)")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (loss, accuracy, classes, confusion, precision, recall)")
	c.MarkFlagRequired("model")
	c.MarkFlagRequired("data")
	cli.AddMaxPixelsFlag(c)
	return c
}

func printEval(w io.Writer, r *evalReport) {
	fmt.Fprintf(w, "%s on %s: %d images\nloss: %.4f - accuracy: %.4f\n\n", r.Model, r.Data, r.Images, r.Loss, r.Accuracy)
	width := 9
	for _, c := range r.Classes {
		width = max(width, len(c)+2)
	}
	fmt.Fprintf(w, "%-*s", width, "true\\pred")
	for _, c := range r.Classes {
		fmt.Fprintf(w, "%*s", width, c)
	}
	fmt.Fprintf(w, "%*s%*s\n", 11, "precision", 8, "recall")
	for i, c := range r.Classes {
		fmt.Fprintf(w, "%-*s", width, c)
		for _, v := range r.Confusion[i] {
			fmt.Fprintf(w, "%*d", width, v)
		}
		fmt.Fprintf(w, "%11.4f%8.4f\n", r.Precision[i], r.Recall[i])
	}
}

func init() { rootCmd.AddCommand(newEvalCmd()) }
