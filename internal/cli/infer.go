package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// InferLine is one image's result as "edgecnn infer --json" and
// "edgecnn predict --json" print it.
type InferLine struct {
	File          string             `json:"file"`
	Label         string             `json:"label"`
	Probability   float32            `json:"probability"`
	Probabilities map[string]float32 `json:"probabilities"`
	// Raw is the int8 output of the last layer (--raw only).
	Raw []int8 `json:"raw,omitempty"`
}

// inferFormat is how "edgecnn infer" prints each result.
type inferFormat struct {
	json bool // one JSON object per line instead of tab-separated text
	raw  bool // add the int8 head outputs
}

func NewInferCmd() *cobra.Command {
	var path string
	var threads int
	var format inferFormat
	c := &cobra.Command{
		Use:   "infer --model M IMAGE...|DIR",
		Short: "Classify image files with a model",
		Long: `infer classifies image files (JPEG, PNG, GIF, BMP) with a model, through the
same fixed-memory runtime as the device: each image is resized as in training,
scaled, quantised and run. A folder is searched recursively in sorted order.
An image that cannot be read is reported on stderr and skipped; the exit code
is then non-zero.

--raw adds the int8 outputs of the model's last layer, before dequantisation
and the sigmoid or softmax: the key "raw" (an array of integers) in JSON, a
last column raw=v1,v2,... in text. They are the kernels' exact results, the
same on every CPU, so two runs can be compared byte for byte.`,
		Example: `  edgecnn infer --model model.q8.ecnn photo.jpg
  edgecnn infer --model model.q8.ecnn photos/valid --json > results.jsonl
  edgecnn infer --model model.ecnn --threads 2 a.png b.png
  edgecnn infer --model model.q8.ecnn photos/valid --json --raw > raw.jsonl`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := infer.LoadFile(path, infer.Options{Threads: InferThreads(threads)})
			if err != nil {
				return err
			}
			defer rt.Close()
			if format.raw && rt.RawOutput() == nil {
				return fmt.Errorf("%s: --raw needs an int8 model, not a %s one", path, rt.Model().DType)
			}
			files, err := InferFiles(args)
			if err != nil {
				return err
			}
			return classifyFiles(rt, files, format, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.Flags().StringVar(&path, "model", "", "model file (.ecnn, int8 or float)")
	c.Flags().IntVar(&threads, "threads", 1, "inference threads (0 = all cores)")
	c.Flags().BoolVar(&format.json, "json", false, "print one JSON object per image (keys file, label, probability, probabilities)")
	c.Flags().BoolVar(&format.raw, "raw", false, "also print the int8 outputs of the last layer (int8 models; key raw in JSON)")
	c.MarkFlagRequired("model")
	AddMaxPixelsFlag(c)
	return c
}

// InferFiles expands the arguments: files as given, folders recursively
// (image extensions only, sorted).
func InferFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, arg)
			continue
		}
		images, err := imagefile.List(arg)
		if err != nil {
			return nil, err
		}
		if len(images) == 0 {
			return nil, fmt.Errorf("%s: no images found (JPEG, PNG, GIF or BMP, searched recursively)", arg)
		}
		files = append(files, images...)
	}
	return files, nil
}

// classifyFiles prints each file's result; unreadable files are warned
// about and counted, and make the command fail at the end.
func classifyFiles(rt *infer.Runtime, files []string, format inferFormat, out, errw io.Writer) error {
	failed := 0
	for _, f := range files {
		res, err := classifyFile(rt, f)
		if err != nil {
			fmt.Fprintf(errw, "warning: %v\n", err)
			failed++
			continue
		}
		var raw []int8
		if format.raw {
			raw = rt.RawOutput()
		}
		if err := PrintResult(out, format.json, f, res.Label, res.Probability, rt.Labels(), res.Probabilities, raw); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d images could not be classified", failed, len(files))}
	}
	return nil
}

// PrintResult writes one image's result, the same for infer and predict:
// a JSON object (file, label, probability, probabilities by label, raw when
// given) or a tab-separated line.
func PrintResult(out io.Writer, asJSON bool, file, label string, prob float32, labels []string, probs []float32, raw []int8) error {
	if asJSON {
		line := InferLine{File: file, Label: label, Probability: prob, Probabilities: map[string]float32{}, Raw: raw}
		for i, l := range labels {
			line.Probabilities[l] = probs[i]
		}
		return PrintJSON(out, line)
	}
	fmt.Fprintf(out, "%s\t%s\t%.4f", file, label, prob)
	for i, l := range labels {
		fmt.Fprintf(out, "\t%s=%.4f", l, probs[i])
	}
	if raw != nil {
		printRaw(out, raw)
	}
	_, err := fmt.Fprintln(out)
	return err
}

// printRaw writes the text column of --raw: "\traw=" and the values,
// comma-separated.
func printRaw(w io.Writer, raw []int8) {
	fmt.Fprint(w, "\traw=")
	for i, v := range raw {
		if i > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprint(w, v)
	}
}

// classifyFile decodes one image and classifies it; errors name the file.
func classifyFile(rt *infer.Runtime, path string) (infer.Result, error) {
	img, err := imagefile.Decode(path)
	if err != nil {
		return infer.Result{}, err
	}
	res, err := rt.ClassifyImage(img)
	if err != nil {
		return infer.Result{}, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}
