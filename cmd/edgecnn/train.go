package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/samefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/train"
	"github.com/edgecnn/edgecnn/train/plot"
)

// trainFlags are the options of "edgecnn train".
type trainFlags struct {
	data, valid     string
	validationSplit float64
	net             netFlags
	epochs, batch   int
	seed            int64
	optimizer       string
	lr, epsilon     float64
	momentum        float64
	bnMomentum      float64
	bnRecalibrate   int
	patience        int
	minDelta        float64
	monitor         string
	augment         string
	interpolation   string
	resume, strict  bool
	out             string
	asJSON          bool
}

// netFlags choose a network: a preset or a spec file, at an image size.
type netFlags struct {
	arch, spec string
	alpha      float64
	imageSize  int
	threads    int
}

func (f *netFlags) register(c *cobra.Command, defaultSize int) {
	c.Flags().StringVar(&f.arch, "arch", "seed-tutorial", "preset architecture: "+strings.Join(train.Presets(), ", "))
	c.Flags().Float64Var(&f.alpha, "alpha", 1, "width multiplier of the mobilenet presets (Keras' alpha: 0.25, 0.35, 0.5, 0.75, 1.0, ...)")
	c.Flags().StringVar(&f.spec, "spec", "", "YAML or JSON file describing a model: a list of layers, which may name their inputs (instead of --arch)")
	c.Flags().IntVar(&f.imageSize, "image-size", defaultSize, "input height and width in pixels")
	c.Flags().IntVar(&f.threads, "threads", 0, "worker threads (0 = all cores); a run is reproducible for a given seed and thread count")
}

// build makes the network for classes classes.
func (f *netFlags) build(classes int) (*train.Sequential, error) {
	var (
		net *train.Sequential
		err error
	)
	if f.spec != "" {
		net, err = train.FromSpecFile(f.spec, f.imageSize, f.imageSize, 3)
	} else {
		net, err = train.PresetAlpha(f.arch, f.alpha, f.imageSize, f.imageSize, 3, classes)
	}
	if err != nil {
		return nil, err
	}
	if want := max(classes, 2); f.spec != "" && net.Outputs() != want && !(classes == 2 && net.Outputs() == 1) {
		return nil, fmt.Errorf("%s has %d outputs for %d classes", f.spec, net.Outputs(), classes)
	}
	net.SetThreads(f.threads)
	return net, nil
}

// parseAugment reads "flip,contrast=0.1,brightness=0.1,translate=0.1".
func parseAugment(s string) (*dataset.Augment, error) {
	if s == "" {
		return nil, nil
	}
	a := &dataset.Augment{}
	for _, item := range strings.Split(s, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(item), "=")
		if key == "flip" && !hasVal {
			a.FlipHorizontal = true
			continue
		}
		f, err := strconv.ParseFloat(val, 32)
		if !hasVal || err != nil || f < 0 || f > 1 {
			return nil, fmt.Errorf("--augment: %q: want flip, contrast=F, brightness=F or translate=F with F in [0, 1]", item)
		}
		switch key {
		case "contrast":
			a.Contrast = float32(f)
		case "brightness":
			a.Brightness = float32(f)
		case "translate":
			a.Translate = float32(f)
		default:
			return nil, fmt.Errorf("--augment: unknown augmentation %q (want flip, contrast, brightness, translate)", key)
		}
	}
	return a, nil
}

// loadData reads the training and validation images.
func (f *trainFlags) loadData() (trainSet, validSet *dataset.Dataset, err error) {
	size := f.net.imageSize
	opt := dataset.Options{Height: size, Width: size, Interpolation: f.interpolation, Seed: f.seed, Strict: f.strict}
	if f.valid != "" && f.validationSplit > 0 {
		return nil, nil, errors.New("use either --valid or --validation-split, not both")
	}
	if f.validationSplit > 0 {
		opt.ValidationSplit, opt.Subset = f.validationSplit, "training"
	}
	if trainSet, err = dataset.FromDirectory(f.data, opt); err != nil {
		return nil, nil, err
	}
	switch {
	case f.validationSplit > 0:
		opt.Subset = "validation"
		validSet, err = dataset.FromDirectory(f.data, opt)
	case f.valid != "":
		opt.ValidationSplit, opt.Subset = 0, ""
		validSet, err = dataset.FromDirectory(f.valid, opt)
	}
	if err != nil {
		return nil, nil, err
	}
	if validSet != nil && strings.Join(validSet.ClassNames, "/") != strings.Join(trainSet.ClassNames, "/") {
		return nil, nil, fmt.Errorf("classes differ: %s has %v, %s has %v", f.data, trainSet.ClassNames, validSet.Dir, validSet.ClassNames)
	}
	return trainSet, validSet, nil
}

// trainReport is what "edgecnn train --json" prints.
type trainReport struct {
	Model     string             `json:"model"`
	Epochs    int                `json:"epochs"`
	BestEpoch int                `json:"best_epoch"`
	Stopped   bool               `json:"early_stopped"`
	Metrics   map[string]float64 `json:"metrics"`
	History   string             `json:"history"`
	Curves    string             `json:"curves"`
	Seconds   float64            `json:"seconds"`
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	c := &cobra.Command{
		Use:   "train --data DIR [--valid DIR | --validation-split F] --arch NAME|--spec FILE -o model.ecnn",
		Short: "Train a convnet on folders of images, the Keras way",
		Long: `train fits a float32 convnet to a folder of images with one subfolder per
class (labels are the sorted folder names), as Keras' model.fit does: a line
per epoch with loss and accuracy, validation after every epoch, optional early
stopping. Two classes get one sigmoid unit and binary cross-entropy, more get
a softmax and sparse categorical cross-entropy (the mobilenet presets keep
Keras' softmax head for two classes too). The mobilenets take --alpha (width
multiplier) and image sizes that are multiples of 32.

It writes the model with the best epoch's weights (by --monitor), and beside it,
named after it, the history and learning curves: for -o m.ecnn, m.history.csv,
m.history.json and m.curves.png. A checkpoint (m.ecnn.ckpt)
is rewritten after every epoch; Ctrl-C saves it and stops, and --resume
continues from it with the same history as an uninterrupted run (same
--threads). The same --seed and --threads reproduce a run exactly.

The default recipe is the Keras course's: Adam with learning rate 0.001 and
epsilon 0.01, batch 64.

BatchNormalization's moving statistics (used by validation, the saved model,
calibration and int8) are recomputed after every epoch as the exact mean and
variance over --bn-recalibrate training batches ("precise BN"), run with
batch statistics and without updating weights. Keras' running averages with
MobileNetV2's momentum 0.999 lag the weights so far that a short run can
validate at chance while training well; --bn-recalibrate 0 keeps them
(Keras' behaviour), --bn-momentum changes the momentum.`,
		Example: `  edgecnn train --data car-truck/train --valid car-truck/valid --arch seed-exercise --image-size 32 --epochs 20 -o model.ecnn
  edgecnn train --data photos --validation-split 0.2 --arch seed-tutorial --image-size 128 --augment flip,contrast=0.1 -o model.ecnn
  edgecnn train --data photos/train --valid photos/valid --spec my-net.yaml --patience 5 -o model.ecnn
  edgecnn train --data car-truck/train --valid car-truck/valid --arch mobilenet-v2 --alpha 0.35 --image-size 32 --epsilon 1e-7 -o model.ecnn
  edgecnn train --data photos/train --valid photos/valid --arch seed-tutorial -o model.ecnn --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, &f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.data, "data", "", "training images: DIR/<class>/*.jpg")
	fl.StringVar(&f.valid, "valid", "", "validation images, same classes")
	fl.Float64Var(&f.validationSplit, "validation-split", 0, "hold out this fraction of --data for validation instead of --valid")
	f.net.register(c, 128)
	fl.IntVar(&f.epochs, "epochs", 20, "epochs")
	fl.IntVar(&f.batch, "batch-size", 64, "batch size")
	fl.Int64Var(&f.seed, "seed", 1, "seed for weights, shuffling, augmentation and dropout")
	fl.StringVar(&f.optimizer, "optimizer", "adam", "adam or sgd")
	fl.Float64Var(&f.lr, "lr", 0.001, "learning rate")
	fl.Float64Var(&f.epsilon, "epsilon", 0.01, "Adam epsilon (Keras default 1e-7; the course uses 0.01)")
	fl.Float64Var(&f.momentum, "momentum", 0, "SGD momentum")
	fl.Float64Var(&f.bnMomentum, "bn-momentum", 0, "momentum of every BatchNormalization layer's moving statistics (0 = the architecture's: 0.99, Keras' MobileNetV2 0.999)")
	fl.IntVar(&f.bnRecalibrate, "bn-recalibrate", 50, "after every epoch, set BatchNormalization's moving statistics to the exact mean and variance over this many training batches (0 = keep the momentum's running averages)")
	fl.IntVar(&f.patience, "patience", 0, "early stopping: epochs without improvement of --monitor before stopping (0 = never)")
	fl.Float64Var(&f.minDelta, "min-delta", 0.001, "early stopping: smallest change that counts as an improvement")
	fl.StringVar(&f.monitor, "monitor", "", "figure that picks the best epoch and drives early stopping (default val_loss, or loss without validation)")
	fl.StringVar(&f.augment, "augment", "", "training augmentation: flip,contrast=F,brightness=F,translate=F")
	fl.StringVar(&f.interpolation, "interpolation", preprocess.Bilinear, "resize method: bilinear or nearest")
	fl.BoolVar(&f.resume, "resume", false, "continue from MODEL.ckpt")
	fl.BoolVar(&f.strict, "strict", false, "an unreadable image is an error instead of a warning")
	fl.StringVarP(&f.out, "output", "o", "model.ecnn", "model file to write")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON on stdout")
	c.MarkFlagRequired("data")
	cli.AddMaxPixelsFlag(c)
	return c
}

// checkOutput refuses an -o whose model, checkpoint, history or curves
// would overwrite the --spec file, or that puts them among the images of
// --data or --valid.
func (f *trainFlags) checkOutput() error {
	o := outputsFor(f.out)
	for _, out := range []string{o.model, o.checkpoint, o.historyCSV, o.historyJSON, o.curves} {
		if err := samefile.CheckOutput("-o", out, samefile.Input{Flag: "--spec", Path: f.net.spec}); err != nil {
			return err
		}
	}
	for _, d := range []samefile.Input{{Flag: "--data", Path: f.data}, {Flag: "--valid", Path: f.valid}} {
		if d.Path == "" {
			continue
		}
		if inside, err := samefile.Inside(f.out, d.Path); err == nil && inside {
			return fmt.Errorf("-o %s is inside %s %s: its learning-curve PNG would become a training image; write the model elsewhere", f.out, d.Flag, d.Path)
		}
	}
	return nil
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	start := time.Now()
	if err := f.checkOutput(); err != nil {
		return err
	}
	aug, err := parseAugment(f.augment)
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	trainSet, validSet, err := f.loadData()
	if err != nil {
		return err
	}
	classes := len(trainSet.ClassNames)
	net, err := f.net.build(classes)
	if err != nil {
		return err
	}
	if err := net.Init(f.seed); err != nil {
		return err
	}
	if f.bnMomentum > 0 {
		if err := net.SetBNMomentum(f.bnMomentum); err != nil {
			return fmt.Errorf("--bn-momentum: %w", err)
		}
	}
	_, metric, err := net.Loss()
	if err != nil {
		return err
	}
	fmt.Fprintf(errw, "Training %s on %d images of %d classes %v", net.Name, trainSet.Len(), classes, trainSet.ClassNames)
	var valid train.Batcher
	if validSet != nil {
		fmt.Fprintf(errw, ", validating on %d", validSet.Len())
		valid = validSet.Batches(f.batch, false, f.seed, nil, 1.0/255, 0)
	}
	fmt.Fprintf(errw, " (%d threads, sgemm %s)\n", net.Threads(), train.Kernel())

	if err := prepareOutput(f.out); err != nil {
		return err
	}
	ckpt := outputsFor(f.out).checkpoint
	if !f.resume {
		if err := keepCheckpoint(ckpt, errw); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := &train.KerasLogger{W: errw, Live: stderrIsTerminal(), Metric: metric}
	res, err := net.Fit(ctx, trainSet.Batches(f.batch, true, f.seed, aug, 1.0/255, 0), valid, train.FitOptions{
		Epochs: f.epochs, BatchSize: f.batch,
		Optimizer: train.Optimizer{Name: f.optimizer, LearningRate: f.lr, Epsilon: f.epsilon, Momentum: f.momentum},
		Monitor:   f.monitor, Patience: f.patience, MinDelta: f.minDelta,
		Checkpoint: ckpt, Resume: f.resume, Settings: f.settings(), Progress: logger.Progress, RecalibrateBN: f.bnRecalibrate,
	})
	if errors.Is(err, train.ErrInterrupted) {
		return &cli.ExitError{Code: 130, Err: fmt.Errorf("%w; checkpoint saved to %s, continue with the same command and --resume", err, ckpt)}
	}
	var diverged error
	if errors.Is(err, train.ErrNonFinite) {
		diverged, err = err, nil
	}
	if err != nil {
		return err
	}
	o := outputsFor(f.out)
	if len(res.History.Epochs) > 0 {
		if err := res.History.Save(o.historyCSV, o.historyJSON); err != nil {
			return err
		}
		if err := plot.LearningCurves(o.curves, &res.History); err != nil {
			return err
		}
	}
	if diverged != nil && res.BestEpoch == 0 {
		return fmt.Errorf("training stopped, %w; no epoch finished with a finite loss, so no model was written (try a lower --lr)", diverged)
	}

	pre := model.Preprocess{Height: f.net.imageSize, Width: f.net.imageSize, Channels: 3, Interpolation: f.interpolation, Scale: 1.0 / 255}
	m, err := net.ToModel(trainSet.ClassNames, pre)
	if err != nil {
		return err
	}
	best := res.History.Epochs[res.BestEpoch-1]
	metrics := map[string]float64{"best_epoch": float64(res.BestEpoch), "loss": best.Loss, metric: best.Accuracy}
	if best.HasValidation() {
		metrics["val_loss"], metrics["val_"+metric] = best.ValLoss, best.ValAccuracy
	}
	m.Provenance = model.Provenance{Created: time.Now().UTC(), Tool: "edgecnn train", TrainData: absPath(f.data),
		Epochs: len(res.History.Epochs), Seed: f.seed, Metrics: metrics}
	if validSet != nil {
		m.Provenance.ValidData = absPath(validSet.Dir)
	}
	if err := model.Save(f.out, m); err != nil {
		return err
	}
	if diverged != nil {
		return fmt.Errorf("training stopped, %w; wrote %s with the weights of epoch %d (the best finite one) and its history %s (try a lower --lr)",
			diverged, f.out, res.BestEpoch, o.historyJSON)
	}
	rep := trainReport{Model: f.out, Epochs: len(res.History.Epochs), BestEpoch: res.BestEpoch, Stopped: res.Stopped,
		Metrics: metrics, History: o.historyJSON, Curves: o.curves, Seconds: time.Since(start).Seconds()}
	if f.asJSON {
		return cli.PrintJSON(cmd.OutOrStdout(), rep)
	}
	if res.Stopped {
		fmt.Fprintf(errw, "Early stopping: no improvement of %s for %d epochs\n", res.Monitor, f.patience)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Saved %s: epoch %d of %d (best %s %.4f)", f.out, res.BestEpoch, len(res.History.Epochs), res.Monitor, res.BestValue)
	for _, k := range res.History.Keys() {
		fmt.Fprintf(cmd.OutOrStdout(), ", %s %.4f", k, metrics[k])
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nWrote %s, %s, %s\n", o.historyCSV, o.historyJSON, o.curves)
	return nil
}

// settings are what a resumed run must repeat: the images, the network and
// the seed.
func (f *trainFlags) settings() []train.Setting {
	net := train.Setting{Name: "--arch", Value: f.net.arch}
	if f.net.spec != "" {
		net = train.Setting{Name: "--spec", Value: absPath(f.net.spec)}
	}
	return []train.Setting{{Name: "--data", Value: absPath(f.data)}, net,
		{Name: "--image-size", Value: strconv.Itoa(f.net.imageSize)}, {Name: "--seed", Value: strconv.FormatInt(f.seed, 10)}}
}

// prepareOutput creates the model's folder and checks that a file can be
// written in it, so a run does not train for hours and then fail to save.
func prepareOutput(out string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s is a folder; name the model file", out)
	}
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-o %s: cannot create its folder: %w", out, err)
	}
	probe, err := os.CreateTemp(dir, "."+filepath.Base(out)+".probe-*")
	if err != nil {
		return fmt.Errorf("-o %s: cannot write there: %w", out, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// keepCheckpoint moves an earlier run's checkpoint aside (to the first free
// CKPT.N) before a new run starts over, and says so.
func keepCheckpoint(ckpt string, w io.Writer) error {
	if _, err := os.Lstat(ckpt); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for n := 1; ; n++ {
		aside := fmt.Sprintf("%s.%d", ckpt, n)
		if _, err := os.Lstat(aside); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(ckpt, aside); err != nil {
			return fmt.Errorf("keeping the earlier checkpoint: %w", err)
		}
		fmt.Fprintf(w, "Kept the earlier run's checkpoint %s as %s (this run starts over; --resume continues a checkpoint)\n", ckpt, aside)
		return nil
	}
}

// trainOutputs are the files train writes for one model.
type trainOutputs struct {
	model, checkpoint       string
	historyCSV, historyJSON string
	curves                  string
}

// outputsFor names the files of model m after it, so two models in one
// folder keep their own: m.ecnn.ckpt, m.history.csv, m.history.json and
// m.curves.png for m.ecnn.
func outputsFor(m string) trainOutputs {
	stem := strings.TrimSuffix(m, filepath.Ext(m))
	return trainOutputs{model: m, checkpoint: m + ".ckpt", historyCSV: stem + ".history.csv", historyJSON: stem + ".history.json",
		curves: stem + ".curves.png"}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func init() { rootCmd.AddCommand(newTrainCmd()) }
