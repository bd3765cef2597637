package train

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKerasLoggerHeaders: every epoch gets its header line, a resumed one
// too (saying where it resumed), and only one.
func TestKerasLoggerHeaders(t *testing.T) {
	var b bytes.Buffer
	k := &KerasLogger{W: &b, Metric: "accuracy"}
	log := EpochLog{Loss: 0.5, Accuracy: 0.75, ValLoss: math.NaN()}
	for _, p := range []Progress{
		{Epoch: 2, Epochs: 3, Step: 3, Steps: 5, Log: log}, // the first report after --resume
		{Epoch: 2, Epochs: 3, Step: 4, Steps: 5, Log: log},
		{Epoch: 2, Epochs: 3, Step: 5, Steps: 5, Log: log},
		{Epoch: 2, Epochs: 3, Step: 5, Steps: 5, Done: true, Log: log},
		{Epoch: 3, Epochs: 3, Step: 0, Steps: 5, Log: log},
		{Epoch: 3, Epochs: 3, Step: 1, Steps: 5, Log: log},
	} {
		k.Progress(p)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 3, b.String())
	require.Equal(t, "Epoch 2/3 (resumed after batch 3 of 5)", lines[0])
	require.True(t, strings.HasPrefix(lines[1], "5/5 [==============================]"), lines[1])
	require.Equal(t, "Epoch 3/3", lines[2])
}
