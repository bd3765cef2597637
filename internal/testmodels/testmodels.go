// Package testmodels fills the small hand-built float models of the calib,
// quantize, parity and infer tests (and train's presets) with random weights, drawn in a fixed order
// from the caller's generator so every test model is reproducible.
package testmodels

import (
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// AddUniform adds to m a float32 tensor of the given shape whose values are
// uniform in [lo, hi), drawn from r.
func AddUniform(m *model.Model, r *rand.Rand, name string, lo, hi float64, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	m.AddTensor(model.NewFloat32(name, shape, v))
}

// AddBatchNorm adds the tensors of a BatchNormalization layer over c
// channels, named prefix/gamma, prefix/beta, prefix/moving_mean and
// prefix/moving_variance: gamma in [0.5, 1.5), beta in [-0.2, 0.2), mean
// in [-0.3, 0.3) and variance in [0.05, 2), so the layer visibly rescales
// and shifts every channel.
func AddBatchNorm(m *model.Model, r *rand.Rand, prefix string, c int) {
	AddUniform(m, r, prefix+"/gamma", 0.5, 1.5, c)
	AddUniform(m, r, prefix+"/beta", -0.2, 0.2, c)
	AddUniform(m, r, prefix+"/moving_mean", -0.3, 0.3, c)
	AddUniform(m, r, prefix+"/moving_variance", 0.05, 2, c)
}

// New returns a float32 model named name, without tensors yet, that takes
// h x w RGB images (resized bilinearly, scaled by 1/255), runs layers and
// tells Car from Truck.
func New(name string, h, w int, layers []model.Layer) *model.Model {
	return &model.Model{
		Name:   name,
		DType:  model.Float32,
		Input:  model.Preprocess{Height: h, Width: w, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255},
		Labels: []string{"Car", "Truck"},
		Layers: layers,
	}
}

// Preset returns train's preset arch (for example "mobilenet-v2") with
// width multiplier alpha as a float32 model of size x size RGB inputs and
// the first classes of Car, Truck, Bus, Van: weights initialised from seed
// as train does, then every BatchNormalization's statistics set, layer by
// layer, near what its input shows on random smooth images (mean off by a
// tenth of a deviation, variance scaled by 0.7 to 1.4), with gamma and beta
// drawn as AddBatchNorm draws them. So the folded statistics matter and the
// activations neither vanish nor saturate, as in a trained network.
func Preset(arch string, alpha float64, size, classes int, seed uint64) (*model.Model, error) {
	m, err := PresetInit(arch, alpha, size, classes, seed)
	if err != nil {
		return nil, err
	}
	pre := m.Input
	graph, err := m.Graph()
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 13))
	const batch = 2
	x := make([]float32, batch*size*size*3)
	for i, p := range SmoothImages(r, batch, size, size) {
		x[i] = float32(p)*pre.Scale + pre.Offset
	}
	for b, l := range m.Layers {
		if l.Type != model.BatchNormalization {
			continue
		}
		mean, variance, err := channelStats(m, graph[b][0], x, batch)
		if err != nil {
			return nil, err
		}
		for i := range mean {
			mean[i] += 0.1 * math.Sqrt(variance[i]) * r.NormFloat64()
			variance[i] = variance[i]*(0.7+0.7*r.Float64()) + 1e-3
		}
		values := [][]float64{nil, nil, mean, variance}
		for i, bounds := range [][2]float64{{0.5, 1.5}, {-0.2, 0.2}} {
			values[i] = make([]float64, len(mean))
			for j := range mean {
				values[i][j] = bounds[0] + (bounds[1]-bounds[0])*r.Float64()
			}
		}
		for i, vals := range values {
			t, err := m.Tensor(l.Weights[i])
			if err != nil {
				return nil, err
			}
			v := make([]float32, len(vals))
			for j, f := range vals {
				v[j] = float32(f)
			}
			*t = *model.NewFloat32(t.Name, t.Shape, v)
		}
	}
	return m, nil
}

// PresetInit is Preset with the BatchNormalization layers as train
// initialises them (the identity): enough where only the graph matters.
func PresetInit(arch string, alpha float64, size, classes int, seed uint64) (*model.Model, error) {
	net, err := train.PresetAlpha(arch, alpha, size, size, 3, classes)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	if err := net.Init(int64(seed)); err != nil {
		return nil, err
	}
	return net.ToModel([]string{"Car", "Truck", "Bus", "Van"}[:classes], New("", size, size, nil).Input)
}

// channelStats runs m on the batch x and returns the per-channel mean and
// variance of layer j's output.
func channelStats(m *model.Model, j int, x []float32, batch int) (mean, variance []float64, err error) {
	net, err := train.FromModel(m)
	if err != nil {
		return nil, nil, err
	}
	defer net.Close()
	c := m.Layers[j].OutputShape[len(m.Layers[j].OutputShape)-1]
	mean, variance = make([]float64, c), make([]float64, c)
	net.ForwardCollect(x, batch, func(layer int, out []float32) {
		if layer != j {
			return
		}
		n := float64(len(out) / c)
		for i, v := range out {
			mean[i%c] += float64(v) / n
		}
		for i, v := range out {
			d := float64(v) - mean[i%c]
			variance[i%c] += d * d / n
		}
	})
	return mean, variance, nil
}

// SmoothImages returns the pixels of n h x w RGB images of random smooth
// gradients with noise.
func SmoothImages(r *rand.Rand, n, h, w int) []uint8 {
	x := make([]uint8, 0, n*h*w*3)
	for range n {
		var base, dx, dy [3]float64
		for c := range 3 {
			base[c], dx[c], dy[c] = 255*r.Float64(), 240*(r.Float64()-0.5)/float64(w), 240*(r.Float64()-0.5)/float64(h)
		}
		for y := range h {
			for xx := range w {
				for c := range 3 {
					v := base[c] + dx[c]*float64(xx) + dy[c]*float64(y) + 20*r.NormFloat64()
					x = append(x, uint8(math.Round(max(0, min(255, v)))))
				}
			}
		}
	}
	return x
}
