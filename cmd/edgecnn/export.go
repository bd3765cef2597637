package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx"
)

func newExportCmd() *cobra.Command {
	var modelPath, out string
	cmd := &cobra.Command{
		Use:   "export --model MODEL.ecnn -o MODEL.onnx",
		Short: "Write a float .ecnn model as ONNX, to check it with other tools",
		Long: `export writes a float32 (or float16, widened) model as an ONNX model (opset 13)
with input "input" [N, C, H, W] holding the scaled pixels (pixel*scale+offset
as the model's preprocessing says) and output "prob". Keras' padding becomes
explicit pads, NHWC weights become NCHW, and the Dense after a Flatten reads
PyTorch's C,H,W order, so ONNX Runtime, Netron or PyTorch see the same
network. Labels and input scaling are stored in the metadata, and
edgecnn import restores them: export then import gives a model with
bit-identical outputs. int8 models cannot be exported yet.`,
		Example: `  edgecnn export --model model.ecnn -o model.onnx
  python3 -c "import onnx; onnx.checker.check_model(onnx.load('model.onnx'))"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(modelPath, out, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "float model (.ecnn)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "ONNX file to write")
	for _, name := range []string{"model", "output"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runExport(modelPath, out string, stdout io.Writer) error {
	if err := refuseSameFile(modelPath, out); err != nil {
		return err
	}
	m, err := model.Load(modelPath)
	if err != nil {
		return err
	}
	b, err := onnx.Export(m)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}
	if err := atomicfile.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d layers -> %s (%d bytes, ONNX opset %d)\n", modelPath, len(m.Layers), out, len(b), onnx.ExportOpset)
	return nil
}

func init() { rootCmd.AddCommand(newExportCmd()) }
