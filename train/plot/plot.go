// Package plot draws a training run's learning curves as a PNG: loss and
// val_loss on the left, accuracy and val_accuracy on the right, per epoch,
// as the Keras course plots history.history.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/train"
)

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	validColor = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// LearningCurves writes the two panels to path (PNG, written atomically).
func LearningCurves(path string, h *train.History) error {
	if len(h.Epochs) == 0 {
		return fmt.Errorf("learning curves: no epochs to plot")
	}
	loss, err := panel("Loss", h, "loss", "val_loss", true)
	if err != nil {
		return err
	}
	acc, err := panel("Accuracy", h, h.Metric, "val_"+h.Metric, false)
	if err != nil {
		return err
	}
	img := vgimg.New(10*vg.Inch, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadY: vg.Inch / 8, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{{loss, acc}}, tiles, dc)
	loss.Draw(canvases[0][0])
	acc.Draw(canvases[0][1])
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// panel plots the training series key and, when validated, its val_ twin,
// with the legend in the top or bottom right corner (away from the curves).
func panel(title string, h *train.History, key, valKey string, legendTop bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = key
	p.Legend.Top = legendTop
	p.Add(plotter.NewGrid())
	keys, colors := []string{key}, []color.Color{trainColor}
	if h.Epochs[0].HasValidation() {
		keys, colors = append(keys, valKey), append(colors, validColor)
	}
	for i, k := range keys {
		values := h.Series(k)
		xys := make(plotter.XYs, 0, len(values))
		for e, v := range values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) { // a diverged epoch has no point
				xys = append(xys, plotter.XY{X: float64(h.Epochs[e].Epoch), Y: v})
			}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("learning curves: %s: %w", k, err)
		}
		line.Color, points.Color = colors[i], colors[i]
		points.Radius = vg.Points(2)
		p.Add(line, points)
		p.Legend.Add(k, line)
	}
	return p, nil
}
