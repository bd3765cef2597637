package train

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

const checkpointFormat = "edgecnn-checkpoint-1"

// checkpoint is everything a run needs to continue exactly where it
// stopped: weights, optimiser slots, the early-stopping state, the history,
// the position in the current epoch with its running sums, and the Dropout
// generator. It is gob-encoded and written atomically.
type checkpoint struct {
	Format       string
	Architecture string // fingerprint of the layers and shapes
	Threads      int
	BatchSize    int
	Epoch        int // epochs completed
	Step         int // batches done in epoch Epoch+1 (0 at an epoch boundary)
	RunLoss      float64
	RunCorrect   int
	RunSeen      int
	Weights      [][]float32
	Best         [][]float32
	BestValue    float64
	BestEpoch    int
	Wait         int
	OptT         int64
	OptM, OptV   [][]float32
	History      History
	DropoutRNG   []byte
}

// fingerprint describes the architecture, so a checkpoint is never loaded
// into a different network.
func (n *Sequential) fingerprint() string {
	var b bytes.Buffer
	fmt.Fprint(&b, n.input.dims())
	for i, l := range n.layers {
		li := l.info()
		fmt.Fprintf(&b, "|%s%v", li.kind, li.out.dims())
		if in := n.inputs[i]; len(in) != 1 || in[0] != i-1 {
			fmt.Fprintf(&b, "<%v", in) // a graph's connections (none for a Sequential chain)
		}
		for _, p := range li.params {
			fmt.Fprintf(&b, ",%s%v", p.name, p.shape)
		}
	}
	return b.String()
}

func (c *checkpoint) write(path string) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return gob.NewEncoder(w).Encode(c)
	})
}

// readCheckpoint loads a checkpoint and checks it belongs to net.
func readCheckpoint(path string, net *Sequential) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	var c checkpoint
	if err := gob.NewDecoder(f).Decode(&c); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("resume: %s: truncated checkpoint", path)
		}
		return nil, fmt.Errorf("resume: %s: not a checkpoint: %w", path, err)
	}
	if c.Format != checkpointFormat {
		return nil, fmt.Errorf("resume: %s: format %q, want %q", path, c.Format, checkpointFormat)
	}
	if c.Architecture != net.fingerprint() {
		return nil, fmt.Errorf("resume: %s was made for another architecture (%s), not %s", path, c.Architecture, net.fingerprint())
	}
	ps := net.params()
	if len(c.Weights) != len(ps) || len(c.Best) != len(ps) {
		return nil, fmt.Errorf("resume: %s: %d weight tensors, want %d", path, len(c.Weights), len(ps))
	}
	for i, p := range ps {
		if len(c.Weights[i]) != len(p.value) || len(c.Best[i]) != len(p.value) {
			return nil, fmt.Errorf("resume: %s: tensor %d has %d values, want %d", path, i, len(c.Weights[i]), len(p.value))
		}
	}
	return &c, nil
}

// snapshot copies every parameter's values into dst (allocated on first use).
func snapshot(dst [][]float32, ps []*param) [][]float32 {
	if dst == nil {
		dst = make([][]float32, len(ps))
		for i, p := range ps {
			dst[i] = make([]float32, len(p.value))
		}
	}
	for i, p := range ps {
		copy(dst[i], p.value)
	}
	return dst
}

// restore copies saved values back into the parameters.
func restore(ps []*param, src [][]float32) {
	for i, p := range ps {
		copy(p.value, src[i])
	}
}
