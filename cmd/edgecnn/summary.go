package main

import (
	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/train"
)

func newSummaryCmd() *cobra.Command {
	var (
		nf        netFlags
		classes   int
		modelPath string
		asJSON    bool
	)
	c := &cobra.Command{
		Use:   "summary --arch NAME|--spec FILE|--model M [--image-size N] [--classes N]",
		Short: "Print a model's layers, output shapes and parameter counts, as Keras' model.summary()",
		Example: `  edgecnn summary --arch seed-tutorial --image-size 128
  edgecnn summary --arch mobilenet-v2 --alpha 0.35 --image-size 96 --classes 2
  edgecnn summary --spec my-net.yaml --image-size 64 --classes 5
  edgecnn summary --model model.ecnn --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				net *train.Sequential
				err error
			)
			if modelPath != "" {
				_, net, err = loadFloatNet(modelPath)
			} else {
				net, err = nf.build(classes)
			}
			if err != nil {
				return err
			}
			s := net.Summary()
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), s)
			}
			_, err = s.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	nf.register(c, 128)
	c.Flags().IntVar(&classes, "classes", 2, "number of classes (2: one sigmoid unit; more: softmax)")
	c.Flags().StringVar(&modelPath, "model", "", "summarise a float .ecnn model instead")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (layers, total_params, trainable_params, non_trainable_params)")
	return c
}

func init() { rootCmd.AddCommand(newSummaryCmd()) }
