package cli

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
)

// selftestReport is what "edgecnn selftest --json" prints.
type selftestReport struct {
	Model      string      `json:"model"`
	DType      model.DType `json:"dtype"`
	Kernel     string      `json:"kernel"`
	ArenaBytes int         `json:"arena_bytes"`
	Probes     int         `json:"probes"`
	// Check is "probes" (stored probes classified and compared) or
	// "generated-input" (no probes: a generated image was classified).
	Check       string  `json:"check"`
	Label       string  `json:"label,omitempty"`
	Probability float32 `json:"probability,omitempty"`
}

// NewSelftestCmd is "selftest": check a model against its stored probes.
func NewSelftestCmd() *cobra.Command {
	var path string
	var threads int
	var asJSON bool
	c := &cobra.Command{
		Use:   "selftest --model M",
		Short: "Load a model and check it classifies its stored probes as recorded",
		Long: `selftest loads the model with the device runtime and classifies the probe
images stored in it, comparing each output with the stored expected one. A
model without probes is loaded and a generated image is classified, which
proves less, and the report says so. firmware install runs this with the new
release's binary before switching to it.`,
		Example: `  edgecnn selftest --model model.q8.ecnn
  edgecnn selftest --model /opt/edgecnn/current/model.ecnn --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := selftest(path, threads)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(cmd.OutOrStdout(), rep)
			}
			w := cmd.OutOrStdout()
			if rep.Check == "probes" {
				fmt.Fprintf(w, "%s: OK: %d stored probes match (%s model, %s kernels, arena %d bytes)\n", path, rep.Probes, rep.DType, rep.Kernel, rep.ArenaBytes)
			} else {
				fmt.Fprintf(w, "%s: OK, but the model stores no probes: loaded it and classified a generated image (%s %.3f); quantise with probes for a real check\n", path, rep.Label, rep.Probability)
			}
			return nil
		},
	}
	c.Flags().StringVar(&path, "model", "", "model file (.ecnn)")
	c.Flags().IntVar(&threads, "threads", 1, "inference threads (0 = all cores)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.MarkFlagRequired("model")
	return c
}

// selftest runs the model's probes, or classifies a generated image when it
// has none and checks the output is a probability distribution.
func selftest(path string, threads int) (*selftestReport, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	rt, err := infer.Load(m, infer.Options{Threads: InferThreads(threads)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rt.Close()
	rep := &selftestReport{Model: path, DType: m.DType, Kernel: KernelName(m.DType), ArenaBytes: rt.ArenaBytes(), Probes: len(m.Probes)}
	if len(m.Probes) > 0 {
		if err := rt.SelfCheck(); err != nil {
			return nil, fmt.Errorf("%s: self-check failed: %w", path, err)
		}
		rep.Check = "probes"
		return rep, nil
	}
	w, h := rt.InputSize()
	rgb := make([]byte, w*h*3)
	for i := range rgb { // a diagonal colour ramp
		p := i / 3
		rgb[i] = byte((p%w + p/w + 85*(i%3)) * 255 / (w + h + 170))
	}
	res, err := rt.ClassifyRGB(rgb, w, h)
	if err != nil {
		return nil, fmt.Errorf("%s: classifying a generated image: %w", path, err)
	}
	if err := checkDistribution(res.Probabilities, len(rt.Labels())); err != nil {
		return nil, fmt.Errorf("%s: classifying a generated image: %w", path, err)
	}
	rep.Check, rep.Label, rep.Probability = "generated-input", res.Label, res.Probability
	return rep, nil
}

// checkDistribution checks one probability per label, each in [0, 1], summing
// to 1.
func checkDistribution(p []float32, labels int) error {
	if len(p) != labels {
		return fmt.Errorf("%d probabilities for %d labels", len(p), labels)
	}
	var sum float64
	for i, v := range p {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("probability %d is %v", i, v)
		}
		sum += float64(v)
	}
	if math.Abs(sum-1) > 1e-3 {
		return fmt.Errorf("probabilities sum to %v, not 1", sum)
	}
	return nil
}
