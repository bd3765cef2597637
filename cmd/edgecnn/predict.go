package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/train"
)

// prediction is one image's result, as "edgecnn predict --json" prints it.
type prediction struct {
	File          string    `json:"file"`
	Label         string    `json:"label"`
	Probability   float32   `json:"probability"`
	Probabilities []float32 `json:"probabilities"`
}

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
It prints the label and its probability per image. (edgecnn infer does the
same through the device runtime, for int8 models too.)`,
		Example: `  edgecnn predict --model model.ecnn photo.jpg
  edgecnn predict --model model.ecnn photos/ --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, net, err := loadFloatNet(modelPath)
			if err != nil {
				return err
			}
			files, err := inferFiles(args)
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
				if asJSON {
					if err := printJSON(cmd.OutOrStdout(), p); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%.4f\n", file, p.Label, p.Probability)
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d images could not be classified", failed, len(files))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "float model (.ecnn)")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per image (file, label, probability, probabilities)")
	c.MarkFlagRequired("model")
	addMaxPixelsFlag(c)
	return c
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
	out := net.Predict(x, 1)
	p := &prediction{File: path, Probabilities: out}
	class, prob := 0, out[0]
	if len(out) == 1 { // one sigmoid unit: the probability of class 1
		class, prob = 0, 1-out[0]
		if out[0] > 0.5 {
			class, prob = 1, out[0]
		}
	} else {
		for i, v := range out {
			if v > prob {
				class, prob = i, v
			}
		}
	}
	p.Label, p.Probability = m.Labels[class], prob
	return p, nil
}

func init() { rootCmd.AddCommand(newPredictCmd()) }
