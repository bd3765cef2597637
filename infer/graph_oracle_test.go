package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// oracleGraphInt8 runs an int8 graph with the reference operators, one
// fresh tensor per layer, following each layer's inputs: Conv2D (1x1 ones
// too) through convRef, DepthwiseConv2D through depthwiseRef, Add through
// kernel.Add (its reference), pooling through the pooling references and
// Dense through denseRef. Weights are unpacked from the layouts quantize
// writes, as their documentation describes them.
func oracleGraphInt8(t *testing.T, m *model.Model, rgb []byte) [][]int8 {
	t.Helper()
	x := make([]int8, len(rgb))
	for i, p := range rgb {
		v := math.Round(float64(float32(p)*m.Input.Scale+m.Input.Offset)/float64(m.InputQuant.Scale)) + float64(m.InputQuant.ZeroPoint)
		x[i] = int8(min(max(v, -128), 127))
	}
	g, err := m.Graph()
	require.NoError(t, err)
	outs := make([][]int8, len(m.Layers))
	source := func(j int) ([]int8, []int, model.QuantParams) {
		if j == model.ModelInput {
			return x, m.InputShape(), *m.InputQuant
		}
		return outs[j], m.Layers[j].OutputShape, m.Layers[j].Quant.Output
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		lq := l.Quant
		in, shape, q := source(g[i][0])
		out := make([]int8, geom.Elems(l.OutputShape))
		switch l.Type {
		case model.Conv2D:
			s := convGeometry(l, shape, l.OutputShape)
			s.PadValue = int8(q.ZeroPoint)
			w, rq := unpackedWeights(t, m, lq, s.OC, s.K())
			convRef(out, in, &s, w, s.K(), &rq, 0, s.OH)
		case model.DepthwiseConv2D:
			s := convGeometry(l, shape, l.OutputShape)
			s.PadValue = int8(q.ZeroPoint)
			w, rq := unpackedWeights(t, m, lq, s.C, s.KH*s.KW)
			depthwiseRef(out, in, &s, w, &rq)
		case model.Dense:
			w, rq := unpackedWeights(t, m, lq, l.Units, len(in))
			denseRef(out, in, len(in), w, len(in), &rq, 0, l.Units)
		case model.Add:
			b, _, qb := source(g[i][1])
			p, err := kernel.NewAddParams(float64(q.Scale), q.ZeroPoint, float64(qb.Scale), qb.ZeroPoint, float64(lq.Output.Scale), lq.Output.ZeroPoint, lq.ActMin, lq.ActMax)
			require.NoError(t, err)
			kernel.Add(out, in, b, &p)
		case model.AveragePooling2D, model.GlobalAveragePooling2D:
			p := poolGeometry(l, shape)
			aq, err := newAvgQuant(&p, q, lq)
			require.NoError(t, err)
			avgPoolRef(out, in, &p, &aq, 0, p.OH)
		default:
			t.Fatalf("graph oracle: layer type %s", l.Type)
		}
		outs[i] = out
	}
	return outs
}

// depthwiseRef is the depthwise convolution as a direct loop: for every
// output pixel and channel c, Bias[c] plus the KH x KW taps of channel c
// (the input zero point outside the image) times w[c][tap], requantised.
func depthwiseRef(out, in []int8, s *kernel.ConvShape, w []int8, rq *kernel.Requant) {
	k := s.KH * s.KW
	for oy := range s.OH {
		for ox := range s.OW {
			for c := range s.C {
				acc := rq.Bias[c]
				for ky := range s.KH {
					for kx := range s.KW {
						iy, ix := oy*s.SH-s.PadTop+ky, ox*s.SW-s.PadLeft+kx
						v := int32(s.PadValue)
						if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
							v = int32(in[(iy*s.W+ix)*s.C+c])
						}
						acc += v * int32(w[c*k+ky*s.KW+kx])
					}
				}
				out[(oy*s.OW+ox)*s.C+c] = kernel.RequantOne(acc, rq.Multiplier[c], rq.Shift[c], rq)
			}
		}
	}
}

// unpackedWeights reads a layer's int8 weights as rows [oc][k] from the
// layout it names: kernel.Layout ("oc4-k16": blocks of 4 channels, each
// 16-weight slice of k for channel 0, 1, 2, 3 in turn) or
// kernel.DepthwiseLayout ("hwc16": [tap][channel padded to 16]).
func unpackedWeights(t *testing.T, m *model.Model, q *model.LayerQuant, oc, k int) ([]int8, kernel.Requant) {
	t.Helper()
	wt, err := m.Tensor(q.Weights)
	require.NoError(t, err)
	packed, err := wt.Int8s()
	require.NoError(t, err)
	w := make([]int8, oc*k)
	kp := (k + 15) / 16 * 16
	cp := (oc + 15) / 16 * 16
	for j := range oc {
		for i := range k {
			switch q.WeightLayout {
			case kernel.Layout:
				w[j*k+i] = packed[j/4*4*kp+i/16*64+j%4*16+i%16]
			case kernel.DepthwiseLayout:
				w[j*k+i] = packed[i*cp+j]
			default:
				t.Fatalf("layout %q", q.WeightLayout)
			}
		}
	}
	rq, err := loadRequant(m, q, oc)
	require.NoError(t, err)
	return w, rq
}

// TestMobileNetsMatchReference runs quantised random MobileNets (v2 with
// residual Adds, v1 with stride-2 depthwise layers) through the runtime
// with 1 and 3 threads and requires every layer's output to equal the
// graph oracle's bit for bit.
func TestMobileNetsMatchReference(t *testing.T) {
	for _, c := range []struct {
		arch  string
		alpha float64
		size  int
	}{{"mobilenet-v2", 0.35, 32}, {"mobilenet-v1", 0.25, 64}} {
		_, q := mobileNet(t, c.arch, c.alpha, c.size, 8, true)
		rgb := testmodels.SmoothImages(rand.New(rand.NewPCG(5, 5)), 1, c.size, c.size)
		want := oracleGraphInt8(t, q, rgb)
		for _, threads := range []int{1, 3} {
			r, err := Load(q, Options{Threads: threads})
			require.NoError(t, err)
			label := fmt.Sprintf("%s, %d threads", c.arch, threads)
			require.NoError(t, r.LayerOutputs(rgb, c.size, c.size, func(layer int, deq []float32) {
				if layer < len(q.Layers)-1 {
					require.Equal(t, dequantizeAll(want[layer], r.info[layer].Quant.Output), deq, "%s: layer %d (%s)", label, layer, q.Layers[layer].Name)
				}
			}))
			_, err = r.Run(rgb)
			require.NoError(t, err)
			require.Equal(t, want[len(want)-1], r.head.q8, "%s: head", label)
			r.Close()
		}
	}
}
