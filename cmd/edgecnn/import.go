package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx"
)

// importJob holds import's flags.
type importJob struct {
	out, name, labels, mean, std string
	scale                        float64
	bgr, asJSON                  bool
}

// importReport is what import prints with --json.
type importReport struct {
	Input      string           `json:"input"`
	Output     string           `json:"output"`
	Model      string           `json:"model"`
	Layers     []layerReport    `json:"layers"`
	Labels     []string         `json:"labels"`
	Preprocess model.Preprocess `json:"preprocess"`
}

type layerReport struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	OutputShape []int  `json:"output_shape"`
}

func newImportCmd() *cobra.Command {
	var j importJob
	cmd := &cobra.Command{
		Use:   "import MODEL.onnx -o MODEL.ecnn",
		Short: "Convert a float ONNX model (PyTorch, Keras via tf2onnx) to an .ecnn model",
		Long: `import reads an ONNX classifier (opsets ` + strconv.Itoa(onnx.MinOpset) + ` to ` + strconv.Itoa(onnx.MaxOpset) + `, one image input of a
fixed size, NCHW or NHWC) and writes the same network as a float32 .ecnn graph
of Keras layers in NHWC: weights permuted once, BatchNormalization kept,
activations fused into the convolution or Dense before them, Pad folded into
the next Conv, NHWC<->NCHW Transposes cancelled, and the Dense after the first
Flatten of NCHW features reading its weights in NHWC order. PyTorch's
symmetric padding of stride-2 windows becomes Keras' 'same' padding with a
kernel extended by zeros (convolutions) or a stride-1 pool followed by a
1x1 stride-s one (pools), which compute the same values.

Supported operators: ` + onnx.Supported + `.
Anything else (and dynamic image sizes, external-data tensors) is refused with
the node's name and operator.

Preprocessing: a camera pixel p in [0, 255] becomes (p*scale - mean[c]) / std[c]
(channels swapped to BGR with --bgr). Uniform mean/std go into the model's
input scaling; per-channel ones (and --bgr) become a leading 1x1 Conv2D
named "preprocess". Without flags, a model written by edgecnn export keeps its
own; any other model gets --scale 1/255.`,
		Example: `  edgecnn import resnet18.onnx -o resnet18.ecnn --labels car,truck --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
  edgecnn import keras_mobilenet.onnx -o mobilenet.ecnn --scale 0.00784313725 --mean 1   # Keras "tf" mode: p/127.5 - 1
  edgecnn import vgg_caffe.onnx -o vgg.ecnn --scale 1 --bgr --mean 103.939,116.779,123.68`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return j.run(cmd, args[0], cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&j.out, "output", "o", "", "model file to write (.ecnn)")
	f.StringVar(&j.name, "name", "", "model name (default: the file name without .onnx)")
	f.StringVar(&j.labels, "labels", "", "class labels, comma-separated, one per output (default: class0, class1, ...)")
	f.Float64Var(&j.scale, "scale", 1.0/255, "pixel scale before mean/std")
	f.StringVar(&j.mean, "mean", "", "mean to subtract after scaling: one value or one per channel, comma-separated")
	f.StringVar(&j.std, "std", "", "standard deviation to divide by: one value or one per channel")
	f.BoolVar(&j.bgr, "bgr", false, "the model takes BGR channels")
	f.BoolVar(&j.asJSON, "json", false, "print the report as JSON")
	cmd.MarkFlagRequired("output")
	return cmd
}

func (j *importJob) run(cmd *cobra.Command, in string, stdout io.Writer) error {
	if err := refuseSameFile(in, j.out); err != nil {
		return err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	opt := onnx.Options{Name: j.name}
	if opt.Name == "" {
		opt.Name = strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	}
	if j.labels != "" {
		opt.Labels = strings.Split(j.labels, ",")
	}
	fl := cmd.Flags()
	if fl.Changed("scale") || fl.Changed("mean") || fl.Changed("std") || fl.Changed("bgr") {
		p := &onnx.Preprocessing{Scale: float32(j.scale), BGR: j.bgr}
		if p.Mean, err = floatList("--mean", j.mean); err != nil {
			return err
		}
		if p.Std, err = floatList("--std", j.std); err != nil {
			return err
		}
		opt.Preprocessing = p
	}
	m, err := onnx.Import(data, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	m.Provenance.Source = in
	if err := model.Save(j.out, m); err != nil {
		return err
	}
	rep := importReport{Input: in, Output: j.out, Model: m.Name, Labels: m.Labels, Preprocess: m.Input}
	for _, l := range m.Layers {
		rep.Layers = append(rep.Layers, layerReport{l.Name, l.Type, l.OutputShape})
	}
	if j.asJSON {
		return cli.PrintJSON(stdout, rep)
	}
	fmt.Fprintf(stdout, "%s: %d layers, input %dx%dx%d (pixel*%g%+g), %d labels -> %s\n", in, len(m.Layers),
		m.Input.Height, m.Input.Width, m.Input.Channels, m.Input.Scale, m.Input.Offset, len(m.Labels), j.out)
	return nil
}

// floatList parses comma-separated numbers.
func floatList(flag, s string) ([]float32, error) {
	if s == "" {
		return nil, nil
	}
	var r []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %q is not a number", flag, s, f)
		}
		r = append(r, float32(v))
	}
	return r, nil
}

// refuseSameFile refuses an output path that names the input file.
func refuseSameFile(in, out string) error {
	a, err := os.Stat(in)
	if err != nil {
		return err
	}
	if b, err := os.Stat(out); err == nil && os.SameFile(a, b) {
		return errors.New("the output " + out + " is the input file; choose another -o")
	}
	return nil
}

func init() { rootCmd.AddCommand(newImportCmd()) }
