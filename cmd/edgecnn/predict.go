package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/train"
)

func newPredictCmd() *cobra.Command {
	var (
		modelPath string
		asJSON    bool
	)
	c := &cobra.Command{
		Use:   "predict --model M IMAGE...|DIR",
		Short: "Classify images with a float model (the trainer's own forward pass)",
		Long: `predict classifies images with a float model through the trainer's network,
each image decoded and resized by the same code and settings as in training.
It prints per image the label, its probability and every class's, in the
same form as edgecnn infer (which does the same through the device runtime,
for int8 models too).`,
		Example: `  edgecnn predict --model model.ecnn photo.jpg
  edgecnn predict --model model.ecnn photos/ --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, net, err := loadFloatNet(modelPath)
			if err != nil {
				return err
			}
			files, err := cli.InferFiles(args)
			if err != nil {
				return err
			}
			failed := 0
			for _, file := range files {
				p, err := predictFile(net, m, file)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "edgecnn:", err)
					failed++
					continue
				}
				if err := cli.PrintResult(cmd.OutOrStdout(), asJSON, file, p.label, p.probability, m.Labels, p.probabilities, nil); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &cli.ExitError{Code: 1, Err: fmt.Errorf("%d of %d images could not be classified", failed, len(files))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "float model (.ecnn)")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per image, as infer --json does (file, label, probability, probabilities by label)")
	c.MarkFlagRequired("model")
	cli.AddMaxPixelsFlag(c)
	return c
}

// prediction is one image's result through the trainer's network.
type prediction struct {
	label         string
	probability   float32
	probabilities []float32 // one per label
}

// predictFile decodes, resizes and scales one image as training did, and
// classifies it.
func predictFile(net *train.Sequential, m *model.Model, path string) (*prediction, error) {
	img, err := imagefile.Decode(path)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := m.Input.Width, m.Input.Height
	rgb := make([]byte, w*h*3)
	preprocess.ResizeImage(rgb, w, h, img, m.Input.Interpolation, nil, make([]byte, b.Dx()*b.Dy()*3))
	x := make([]float32, len(rgb))
	for i, p := range rgb {
		x[i] = float32(p)*m.Input.Scale + m.Input.Offset
	}
	probs := net.Predict(x, 1)
	if len(probs) == 1 { // one sigmoid unit: the probability of class 1
		probs = []float32{1 - probs[0], probs[0]}
	}
	class := 0
	for i, v := range probs {
		if v > probs[class] {
			class = i
		}
	}
	return &prediction{label: m.Labels[class], probability: probs[class], probabilities: probs}, nil
}

func init() { rootCmd.AddCommand(newPredictCmd()) }
