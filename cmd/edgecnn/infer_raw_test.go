package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
)

// TestInferRaw: --raw prints the int8 head output, which dequantised and
// passed through the sigmoid gives the printed probability; the text column
// holds the same values; a float model is refused.
func TestInferRaw(t *testing.T) {
	modelPath, dir := inferFixture(t)
	m, err := model.Load(modelPath)
	require.NoError(t, err)
	q := m.Layers[len(m.Layers)-1].Quant.Output
	for _, name := range []string{"a.png", "b.png", "sub/c.png"} {
		file := filepath.Join(dir, name)
		stdout, _, err := clitest.Run(t, cli.NewInferCmd(), "--model", modelPath, "--json", "--raw", file)
		require.NoError(t, err)
		var line cli.InferLine
		require.NoError(t, json.Unmarshal([]byte(stdout), &line))
		require.Len(t, line.Raw, 1, name)
		logit := float64(q.Scale) * float64(int32(line.Raw[0])-q.ZeroPoint)
		require.InDelta(t, 1/(1+math.Exp(-logit)), line.Probabilities["Truck"], 1e-6, name)

		text, _, err := clitest.Run(t, cli.NewInferCmd(), "--model", modelPath, "--raw", file)
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(text, fmt.Sprintf("\traw=%d\n", line.Raw[0])), text)
	}

	stdout, _, err := clitest.Run(t, cli.NewInferCmd(), "--model", modelPath, "--json", filepath.Join(dir, "a.png"))
	require.NoError(t, err)
	require.NotContains(t, stdout, `"raw"`, "raw only with --raw")

	float, err := pipeline.RandomModel("seed-tutorial", 32, 2, 7, model.Float32)
	require.NoError(t, err)
	floatPath := filepath.Join(t.TempDir(), "float.ecnn")
	require.NoError(t, model.Save(floatPath, float))
	_, _, err = clitest.Run(t, cli.NewInferCmd(), "--model", floatPath, "--raw", dir)
	require.ErrorContains(t, err, "float.ecnn: --raw needs an int8 model")
}
