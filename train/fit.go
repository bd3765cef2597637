package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Batcher serves one epoch of batches at a time; *dataset.Batches is one.
type Batcher interface {
	// Steps is the number of batches per epoch.
	Steps() int
	// Reset starts an epoch (0-based); its order depends on the epoch only.
	Reset(epoch int)
	// Next fills x and y and returns the batch's size, 0 at the epoch's end.
	Next(x []float32, y []int32) int
}

// ErrInterrupted is returned by Fit when its context was cancelled (Ctrl-C):
// the checkpoint holds the state to resume from.
var ErrInterrupted = errors.New("training interrupted")

// ErrNonFinite is returned by Fit, together with a Result, when a loss
// becomes NaN or infinite: the run stops at once and the Result holds the
// finished epochs and the best finite epoch's weights (BestEpoch 0 when no
// epoch finished). The checkpoint keeps the last finite epoch.
var ErrNonFinite = errors.New("loss is not finite")

// FitOptions configures Fit.
type FitOptions struct {
	Epochs    int
	BatchSize int // the largest batch the Batchers return
	Optimizer Optimizer
	// Early stopping on Monitor ("val_loss" by default, "loss" without
	// validation; accuracy keys are maximised): stop after Patience epochs
	// without an improvement larger than MinDelta; 0 disables stopping.
	// Fit always ends with the best epoch's weights restored.
	Monitor  string
	Patience int
	MinDelta float64
	// Checkpoint, when set, is rewritten atomically after every epoch and
	// when the context is cancelled; Resume continues from it.
	Checkpoint string
	Resume     bool
	// Settings describe the run (seed, data, architecture, ...); they are
	// stored in the checkpoint and Resume refuses one made with others.
	Settings []Setting
	// RecalibrateBN, when positive, recomputes the moving statistics of
	// every BatchNormalization layer at the end of every epoch, before
	// validation, over up to that many batches of the epoch's training
	// data (the exact mean and variance, "precise BN"): validation and the
	// saved model then do not depend on how well the momentum tracked the
	// changing weights.
	RecalibrateBN int
	// Progress, when set, is called at the start of every epoch, after
	// every batch and at the end of every epoch.
	Progress func(Progress)
}

// Setting is one of a run's settings, as the user named it: Name "--seed",
// Value "1".
type Setting struct{ Name, Value string }

// Progress reports where training is. Log holds the running figures of the
// epoch so far (validation too once the epoch has ended).
type Progress struct {
	Epoch, Epochs int // 1-based
	Step, Steps   int // Step 0: the epoch begins
	Done          bool
	Log           EpochLog
	Elapsed       time.Duration // since the epoch began
}

// Result is what Fit returns.
type Result struct {
	History   History
	BestEpoch int // 1-based epoch whose weights the network now holds
	Monitor   string
	BestValue float64
	Stopped   bool // early stopping ended the run
}

// fitState is a training run in progress.
type fitState struct {
	net        *Sequential
	opt        *optimizer
	loss       string
	opts       FitOptions
	ck         checkpoint
	x          []float32
	y          []int32
	epochStart time.Time
}

// Fit trains the network on train, validating on valid (may be nil) after
// every epoch, in Keras' way. Cancelling ctx stops after the current batch,
// saves the checkpoint and returns ErrInterrupted.
func (n *Sequential) Fit(ctx context.Context, train, valid Batcher, opts FitOptions) (*Result, error) {
	lossName, metric, err := n.Loss()
	if err != nil {
		return nil, err
	}
	if opts.Epochs <= 0 || opts.BatchSize <= 0 {
		return nil, fmt.Errorf("epochs (%d) and batch size (%d) must be positive", opts.Epochs, opts.BatchSize)
	}
	if opts.Monitor == "" {
		opts.Monitor = "val_loss"
		if valid == nil {
			opts.Monitor = "loss"
		}
	}
	if _, ok := (EpochLog{}).value(opts.Monitor, metric); !ok || (valid == nil && strings.HasPrefix(opts.Monitor, "val_")) {
		return nil, fmt.Errorf("cannot monitor %q (want loss, %s, or with validation data val_loss, val_%s)", opts.Monitor, metric, metric)
	}
	opt, err := newOptimizer(opts.Optimizer, n.params())
	if err != nil {
		return nil, err
	}
	s := &fitState{net: n, opt: opt, loss: lossName, opts: opts}
	s.ck = checkpoint{Format: checkpointFormat, Architecture: n.fingerprint(), Threads: n.Threads(), BatchSize: opts.BatchSize,
		BestValue: math.Inf(1), History: History{Metric: metric}, Settings: opts.Settings}
	if opts.Resume {
		if err := s.resume(); err != nil {
			return nil, err
		}
	}
	n.ensure(opts.BatchSize)
	s.x = make([]float32, opts.BatchSize*n.InputSize())
	s.y = make([]int32, opts.BatchSize)
	stopped := false
	var diverged error
	for s.ck.Epoch < opts.Epochs && !stopped {
		err := s.trainEpoch(ctx, train)
		if err == nil {
			stopped, err = s.endEpoch(train, valid)
		}
		if errors.Is(err, ErrNonFinite) {
			diverged = err
			break
		}
		if err != nil {
			return nil, err
		}
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	h := s.ck.History
	if s.ck.BestEpoch > 0 {
		restore(n.params(), s.ck.Best)
	}
	return &Result{History: h, BestEpoch: s.ck.BestEpoch, Monitor: opts.Monitor, BestValue: s.monitorValue(s.ck.BestValue), Stopped: stopped}, diverged
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// maximise reports whether the monitored figure is better when larger.
func (s *fitState) maximise() bool {
	return s.opts.Monitor != "loss" && s.opts.Monitor != "val_loss"
}

// monitorValue undoes the sign flip that makes every monitor a minimum.
func (s *fitState) monitorValue(v float64) float64 {
	if s.maximise() {
		return -v
	}
	return v
}

// trainEpoch runs (the rest of) epoch ck.Epoch+1.
func (s *fitState) trainEpoch(ctx context.Context, train Batcher) error {
	n, ck := s.net, &s.ck
	s.epochStart = time.Now()
	train.Reset(ck.Epoch)
	for range ck.Step { // replay the batches done before an interruption
		train.Next(s.x, s.y)
	}
	steps := train.Steps()
	s.report(ck.Epoch+1, ck.Step, steps, false, EpochLog{Epoch: ck.Epoch + 1})
	for {
		nb := train.Next(s.x, s.y)
		if nb == 0 {
			return nil
		}
		sum, correct := n.trainStep(s.opt, s.loss, s.x, s.y[:nb])
		if !finite(sum) {
			return fmt.Errorf("%w: the training loss became %v at batch %d of %d of epoch %d", ErrNonFinite, sum/float64(nb), ck.Step+1, steps, ck.Epoch+1)
		}
		ck.Step++
		ck.RunLoss += sum
		ck.RunCorrect += correct
		ck.RunSeen += nb
		s.report(ck.Epoch+1, ck.Step, steps, false, s.running())
		if ctx.Err() != nil {
			if err := s.save(); err != nil {
				return err
			}
			return fmt.Errorf("%w after %d of %d batches of epoch %d", ErrInterrupted, ck.Step, steps, ck.Epoch+1)
		}
	}
}

func (s *fitState) running() EpochLog {
	ck := &s.ck
	seen := float64(max(ck.RunSeen, 1))
	return EpochLog{Epoch: ck.Epoch + 1, Loss: ck.RunLoss / seen, Accuracy: float64(ck.RunCorrect) / seen,
		ValLoss: math.NaN(), ValAccuracy: math.NaN(), Seconds: time.Since(s.epochStart).Seconds()}
}

func (s *fitState) report(epoch, step, steps int, done bool, log EpochLog) {
	if s.opts.Progress != nil {
		s.opts.Progress(Progress{Epoch: epoch, Epochs: s.opts.Epochs, Step: step, Steps: steps, Done: done, Log: log, Elapsed: time.Since(s.epochStart)})
	}
}

// endEpoch recalibrates BatchNormalization when asked, validates, records the epoch, keeps the best weights and
// reports whether early stopping ends the run. A validation loss that is
// not finite is recorded and ends the run with ErrNonFinite.
func (s *fitState) endEpoch(train, valid Batcher) (bool, error) {
	ck := &s.ck
	log := s.running()
	steps := ck.Step
	s.net.recalibrateBN(train, ck.Epoch, s.opts.RecalibrateBN, s.x, s.y)
	if valid != nil {
		ev := s.net.evaluate(valid, s.x, s.y, s.loss)
		log.ValLoss, log.ValAccuracy = ev.Loss, ev.Accuracy
	}
	log.Seconds = time.Since(s.epochStart).Seconds()
	ck.History.Epochs = append(ck.History.Epochs, log)
	ck.Epoch++
	ck.Step, ck.RunLoss, ck.RunCorrect, ck.RunSeen = 0, 0, 0, 0

	if valid != nil && !finite(log.ValLoss) {
		s.report(log.Epoch, steps, steps, true, log)
		return false, fmt.Errorf("%w: the validation loss became %v in epoch %d", ErrNonFinite, log.ValLoss, log.Epoch)
	}
	v, _ := log.value(s.opts.Monitor, ck.History.Metric)
	if s.maximise() {
		v = -v
	}
	stop := false
	if v < ck.BestValue-s.opts.MinDelta || ck.Best == nil {
		ck.BestValue, ck.BestEpoch, ck.Wait = v, ck.Epoch, 0
		ck.Best = snapshot(ck.Best, s.net.params())
	} else {
		ck.Wait++
		stop = s.opts.Patience > 0 && ck.Wait >= s.opts.Patience
	}
	s.report(log.Epoch, steps, steps, true, log)
	return stop, nil
}

// save writes the checkpoint when one is configured.
func (s *fitState) save() error {
	if s.opts.Checkpoint == "" {
		return nil
	}
	ck := &s.ck
	ps := s.net.params()
	ck.Weights = snapshot(ck.Weights, ps)
	if ck.Best == nil {
		ck.Best = snapshot(nil, ps)
	}
	ck.OptT, ck.OptM, ck.OptV = s.opt.t, s.opt.m, s.opt.v
	rng, err := s.net.steps.MarshalBinary()
	if err != nil {
		return err
	}
	ck.DropoutRNG = rng
	return ck.write(s.opts.Checkpoint)
}

// resume loads the checkpoint into the network, optimiser and state.
func (s *fitState) resume() error {
	ck, err := readCheckpoint(s.opts.Checkpoint, s.net, s.opts.Settings)
	if err != nil {
		return err
	}
	if ck.BatchSize != s.opts.BatchSize {
		return fmt.Errorf("resume: %s was made with batch size %d, not %d", s.opts.Checkpoint, ck.BatchSize, s.opts.BatchSize)
	}
	if len(ck.OptM) != len(s.opt.m) || len(ck.OptV) != len(s.opt.v) {
		return fmt.Errorf("resume: %s was made with another optimizer", s.opts.Checkpoint)
	}
	s.net.SetThreads(ck.Threads)
	ps := s.net.params()
	restore(ps, ck.Weights)
	s.opt.t = ck.OptT
	for i := range s.opt.m {
		copy(s.opt.m[i], ck.OptM[i])
	}
	for i := range s.opt.v {
		copy(s.opt.v[i], ck.OptV[i])
	}
	if err := s.net.steps.UnmarshalBinary(ck.DropoutRNG); err != nil {
		return fmt.Errorf("resume: %s: %w", s.opts.Checkpoint, err)
	}
	if ck.BestEpoch == 0 {
		ck.Best = nil // no epoch finished yet
	}
	s.ck = *ck
	return nil
}

// Evaluation is the outcome of Evaluate.
type Evaluation struct {
	Loss     float64
	Accuracy float64
	// Confusion[t][p] counts samples of true class t predicted as p.
	Confusion [][]int
}

// PrecisionRecall derives each class's precision (of the predictions of a
// class, the share that were right) and recall (of the class's samples, the
// share found); 0 when undefined.
func (e *Evaluation) PrecisionRecall() (precision, recall []float64) {
	conf := e.Confusion
	n := len(conf)
	precision, recall = make([]float64, n), make([]float64, n)
	for c := range n {
		var predicted, actual int
		for o := range n {
			predicted += conf[o][c]
			actual += conf[c][o]
		}
		if predicted > 0 {
			precision[c] = float64(conf[c][c]) / float64(predicted)
		}
		if actual > 0 {
			recall[c] = float64(conf[c][c]) / float64(actual)
		}
	}
	return precision, recall
}

// Evaluate runs inference over one epoch of b (batches up to batchSize).
func (n *Sequential) Evaluate(b Batcher, batchSize int) (*Evaluation, error) {
	loss, _, err := n.Loss()
	if err != nil {
		return nil, err
	}
	n.ensure(batchSize)
	return n.evaluate(b, make([]float32, batchSize*n.InputSize()), make([]int32, batchSize), loss), nil
}

func (n *Sequential) evaluate(b Batcher, x []float32, y []int32, loss string) *Evaluation {
	k := n.Outputs()
	classes := max(k, 2)
	ev := &Evaluation{Confusion: make([][]int, classes)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, classes)
	}
	b.Reset(0)
	seen := 0
	for {
		nb := b.Next(x, y)
		if nb == 0 {
			break
		}
		p := n.forward(x, nb, false, nil)
		sum, correct := lossAndGrad(loss, p, k, y[:nb], nil)
		ev.Loss += sum
		ev.Accuracy += float64(correct)
		for i, t := range y[:nb] {
			ev.Confusion[t][predictedClass(p[i*k:(i+1)*k])]++
		}
		seen += nb
	}
	if seen > 0 {
		ev.Loss /= float64(seen)
		ev.Accuracy /= float64(seen)
	}
	return ev
}

// predictedClass is the class a head's outputs choose: p > 0.5 for one
// sigmoid unit, the argmax otherwise.
func predictedClass(p []float32) int {
	if len(p) == 1 {
		if p[0] > 0.5 {
			return 1
		}
		return 0
	}
	return argmax(p)
}
