package main

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
	"github.com/edgecnn/edgecnn/train"
)

// benchReport is one thread count's measurement, as "edgecnn bench --json"
// prints it (one line per thread count).
type benchReport struct {
	Model           string      `json:"model"`
	Arch            string      `json:"arch,omitempty"`
	DType           model.DType `json:"dtype"`
	Input           []int       `json:"input_shape"`
	Frame           string      `json:"frame"`
	Kernel          string      `json:"kernel"`
	Threads         int         `json:"threads"`
	Frames          int         `json:"frames"`
	LatencyMedianMS float64     `json:"latency_ms_median"`
	LatencyP99MS    float64     `json:"latency_ms_p99"`
	LatencyMeanMS   float64     `json:"latency_ms_mean"`
	FramesPerSecond float64     `json:"frames_per_second"`
	AllocsPerFrame  float64     `json:"allocs_per_frame"`
	ArenaBytes      int         `json:"arena_bytes"`
	ScratchBytes    int         `json:"scratch_bytes"`
	PreparedBytes   int         `json:"prepared_bytes"`
	MACs            int64       `json:"macs"`
	GMACsPerSecond  float64     `json:"gmacs_per_second"`
	// PeakRSSBytes is the process's peak resident memory so far (0 when the
	// system does not say).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// benchFlags are the options of "edgecnn bench".
type benchFlags struct {
	model, arch, dtype string
	imageSize, classes int
	frameW, frameH     int
	threads            []int
	frames, warmup     int
	seed               int64
	asJSON             bool
}

var bench benchFlags

// benchCmd measures inference; subcommands (bench train) measure other work.
var benchCmd = &cobra.Command{
	Use:   "bench (--model M | --arch NAME --image-size N)",
	Short: "Measure inference latency, allocations and memory per frame",
	Long: `bench classifies a random frame again and again through the device runtime and
reports per-frame latency (median and 99th percentile), heap allocations per
frame, the arena size, the process's peak resident memory, the
multiply-accumulates and the kernel path.

With --arch it measures an untrained, randomly initialised preset quantised to
int8 on random calibration images (as benchncnn does), so no trained model is
needed. --threads takes a list and reports each.`,
	Example: `  edgecnn bench --model model.q8.ecnn
  edgecnn bench --arch seed-tutorial --image-size 128 --threads 1,2,4 --json
  edgecnn bench --arch seed-exercise --image-size 128 --dtype float32
  edgecnn bench --model model.q8.ecnn --frame-width 640 --frame-height 480`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		m, err := benchModel(&bench)
		if err != nil {
			return err
		}
		for _, threads := range bench.threads {
			rep, err := benchRun(m, &bench, threads)
			if err != nil {
				return err
			}
			if bench.asJSON {
				if err := cli.PrintJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
				continue
			}
			if threads == bench.threads[0] {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %v, frame %s, %s kernels, arena %d bytes, scratch %d bytes, prepared weights %d bytes, %.1f M MACs\n",
					rep.Model, rep.DType, rep.Input, rep.Frame, rep.Kernel, rep.ArenaBytes, rep.ScratchBytes, rep.PreparedBytes, float64(rep.MACs)/1e6)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "threads %d: median %.3f ms, p99 %.3f ms, %.1f frames/s, %.2f GMAC/s, %.2f allocs/frame, peak RSS %.1f MiB\n",
				rep.Threads, rep.LatencyMedianMS, rep.LatencyP99MS, rep.FramesPerSecond, rep.GMACsPerSecond, rep.AllocsPerFrame, float64(rep.PeakRSSBytes)/(1<<20))
		}
		return nil
	},
}

func init() {
	f := benchCmd.Flags()
	f.StringVar(&bench.model, "model", "", "model file (.ecnn)")
	f.StringVar(&bench.arch, "arch", "", fmt.Sprintf("preset to measure untrained (%v)", train.Presets()))
	f.IntVar(&bench.imageSize, "image-size", 128, "input size for --arch")
	f.IntVar(&bench.classes, "classes", 2, "classes for --arch")
	f.StringVar(&bench.dtype, "dtype", string(model.Int8), "for --arch: int8 (quantised on random images) or float32")
	f.Int64Var(&bench.seed, "seed", 1, "seed of the random weights, calibration images and frame")
	f.IntSliceVar(&bench.threads, "threads", []int{1}, "thread counts to measure, e.g. 1,2,4 (0 = all cores)")
	f.IntVar(&bench.frames, "frames", 200, "frames measured per thread count")
	f.IntVar(&bench.warmup, "warmup", 20, "frames run before measuring")
	f.IntVar(&bench.frameW, "frame-width", 0, "width of the frame fed in (0: the model's input width; larger frames include resizing)")
	f.IntVar(&bench.frameH, "frame-height", 0, "height of the frame fed in (0: the model's input height)")
	f.BoolVar(&bench.asJSON, "json", false, "print one JSON object per thread count")
	benchCmd.MarkFlagsMutuallyExclusive("model", "arch")
	rootCmd.AddCommand(benchCmd)
}

// benchModel loads --model or builds the --arch model.
func benchModel(o *benchFlags) (*model.Model, error) {
	if o.frames <= 0 || o.warmup < 0 || len(o.threads) == 0 {
		return nil, errors.New("--frames must be positive, --warmup not negative, --threads not empty")
	}
	switch {
	case o.model != "":
		return model.Load(o.model)
	case o.arch != "":
		m, err := pipeline.RandomModel(o.arch, o.imageSize, o.classes, o.seed, model.DType(o.dtype))
		if err != nil {
			return nil, fmt.Errorf("--arch %s: %w", o.arch, err)
		}
		return m, nil
	}
	return nil, errors.New("give --model or --arch")
}

// benchRun measures m with the given thread count.
func benchRun(m *model.Model, o *benchFlags, threads int) (*benchReport, error) {
	rt, err := infer.Load(m, infer.Options{Threads: cli.InferThreads(threads)})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	w, h := rt.InputSize()
	if o.frameW > 0 {
		w = o.frameW
	}
	if o.frameH > 0 {
		h = o.frameH
	}
	frame := pipeline.RandomBytes(rand.New(rand.NewPCG(uint64(o.seed), 3)), w*h*3)
	for range o.warmup {
		if _, err := rt.ClassifyRGB(frame, w, h); err != nil {
			return nil, err
		}
	}
	lat := make([]time.Duration, o.frames)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range lat {
		t0 := time.Now()
		if _, err := rt.ClassifyRGB(frame, w, h); err != nil {
			return nil, err
		}
		lat[i] = time.Since(t0)
	}
	runtime.ReadMemStats(&after)
	s := rt.Summary()
	rep := &benchReport{
		Model: m.Name, Arch: o.arch, DType: m.DType, Input: m.InputShape(), Frame: fmt.Sprintf("%dx%d", w, h),
		Kernel: cli.KernelName(m.DType), Threads: rt.Threads(), Frames: o.frames,
		AllocsPerFrame: float64(after.Mallocs-before.Mallocs) / float64(o.frames),
		ArenaBytes:     s.ArenaBytes, ScratchBytes: s.ScratchBytes, PreparedBytes: s.PreparedBytes, MACs: s.MACs,
	}
	if o.model != "" {
		rep.Model = o.model
	}
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	rep.LatencyMedianMS = ms(lat[len(lat)/2])
	rep.LatencyP99MS = ms(lat[int(math.Ceil(0.99*float64(len(lat))))-1])
	rep.LatencyMeanMS = ms(total) / float64(len(lat))
	rep.FramesPerSecond = 1000 / rep.LatencyMeanMS
	rep.GMACsPerSecond = float64(s.MACs) / (rep.LatencyMeanMS * 1e6)
	rep.PeakRSSBytes, _ = cli.PeakRSSBytes()
	return rep, nil
}
