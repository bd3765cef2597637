package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/train"
)

// benchTrainReport is what "edgecnn bench train --json" prints.
type benchTrainReport struct {
	Tool            string  `json:"tool"`
	Arch            string  `json:"arch"`
	ImageSize       int     `json:"image_size"`
	BatchSize       int     `json:"batch_size"`
	Threads         int     `json:"threads"`
	Kernel          string  `json:"kernel"`
	Batches         int     `json:"batches"`
	ImagesPerSecond float64 `json:"images_per_second"`
	AllocsPerStep   float64 `json:"allocs_per_step"`
	BytesPerStep    float64 `json:"bytes_per_step"`
	// PeakRSSBytes is the process's peak resident memory (0 when the
	// system does not say).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

func newBenchTrainCmd() *cobra.Command {
	var (
		nf              netFlags
		classes, batch  int
		batches, warmup int
		asJSON          bool
	)
	c := &cobra.Command{
		Use:   "train --arch NAME|--spec FILE --image-size N",
		Short: "Measure training throughput (images/second) on synthetic input",
		Long: `bench train times full training steps (forward, loss, backward, Adam update)
on a fixed random batch, after a few untimed warm-up steps, and reports images
per second, heap allocations per step (0 in steady state: a step allocates
nothing) and the process's peak resident memory. It is the counterpart of the
PyTorch peer's bench_train.py (same key images_per_second).`,
		Example: `  edgecnn bench train --arch seed-exercise --image-size 32 --threads 2 --json
  edgecnn bench train --spec my-net.yaml --image-size 64 --batch-size 32`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			net, err := nf.build(classes)
			if err != nil {
				return err
			}
			tp, err := net.TrainThroughput(batch, warmup, batches)
			if err != nil {
				return err
			}
			name := nf.arch
			if nf.spec != "" {
				name = nf.spec
			}
			rep := benchTrainReport{Tool: "edgecnn " + runtime.Version(), Arch: name, ImageSize: nf.imageSize, BatchSize: batch,
				Threads: net.Threads(), Kernel: train.Kernel(), Batches: batches, ImagesPerSecond: tp.ImagesPerSecond,
				AllocsPerStep: tp.AllocsPerStep, BytesPerStep: tp.BytesPerStep}
			rep.PeakRSSBytes, _ = cli.PeakRSSBytes()
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), rep)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %dx%d, batch %d, %d threads, sgemm %s: %.1f images/s, %.2f allocs/step, peak RSS %.1f MiB\n",
				name, nf.imageSize, nf.imageSize, batch, net.Threads(), rep.Kernel, rep.ImagesPerSecond, rep.AllocsPerStep, float64(rep.PeakRSSBytes)/(1<<20))
			return nil
		},
	}
	nf.register(c, 32)
	c.Flags().IntVar(&classes, "classes", 2, "number of classes")
	c.Flags().IntVar(&batch, "batch-size", 64, "batch size")
	c.Flags().IntVar(&batches, "batches", 60, "timed batches")
	c.Flags().IntVar(&warmup, "warmup", 5, "untimed warm-up batches")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (key images_per_second)")
	return c
}

func init() { benchCmd.AddCommand(newBenchTrainCmd()) }
