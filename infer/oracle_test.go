package infer

import (
	"math"
	"testing"

	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// oracleInt8 runs an int8 model (weights in the canonical layout) on an RGB
// image of the model's input size with the reference operators, one freshly
// allocated tensor per layer, and returns every layer's output and the
// probabilities computed in float64.
func oracleInt8(t *testing.T, m *model.Model, rgb []byte) ([][]int8, []float64) {
	t.Helper()
	x := make([]int8, len(rgb))
	for i, p := range rgb {
		v := math.Round(float64(float32(p)*m.Input.Scale+m.Input.Offset)/float64(m.InputQuant.Scale)) + float64(m.InputQuant.ZeroPoint)
		x[i] = int8(min(max(v, -128), 127))
	}
	shape, q := m.InputShape(), *m.InputQuant
	var outs [][]int8
	for i := range m.Layers {
		l := &m.Layers[i]
		lq := l.Quant
		out := make([]int8, geom.Elems(l.OutputShape))
		switch l.Type {
		case model.Conv2D:
			s := convGeometry(l, shape, l.OutputShape)
			s.PadValue = int8(q.ZeroPoint)
			w, rq := oracleWeights(t, m, lq, s.OC, s.K())
			convRef(out, x, &s, w, s.K(), &rq, 0, s.OH)
		case model.Dense:
			w, rq := oracleWeights(t, m, lq, l.Units, len(x))
			denseRef(out, x, len(x), w, len(x), &rq, 0, l.Units)
		case model.MaxPool2D:
			p := poolGeometry(l, shape)
			maxPoolRef(out, x, &p, lq.ActMin, lq.ActMax, 0, p.OH)
		case model.AveragePooling2D, model.GlobalAveragePooling2D:
			oracleAvgPool(t, out, x, poolGeometry(l, shape), q, lq)
		case model.Flatten:
			copy(out, x)
		default:
			t.Fatalf("oracle: layer type %s", l.Type)
		}
		outs = append(outs, out)
		x, shape, q = out, l.OutputShape, lq.Output
	}
	logits := make([]float64, len(x))
	for i, v := range x {
		logits[i] = float64(q.Scale) * float64(int32(v)-q.ZeroPoint)
	}
	return outs, oracleProbs(logits)
}

// oracleAvgPool is AveragePooling2D (or the global one) computed from its
// definition, apart from avgPoolRef: each output is the mean of the raw
// inputs its window covers inside the image. With the input's quantisation
// kept it is rounded half away from zero (TFLite); else it is
// OutZero + MultiplyByQuantizedMultiplier(sum - count*InZero) with the
// multiplier of in_scale / (out_scale * count), by gemmlowp's definition:
// x*2^left*mult/2^31 rounded half up, then divided by 2^right rounded half
// away from zero. Every intermediate is an integer or a half below 2^53,
// which float64 holds exactly.
func oracleAvgPool(t *testing.T, out, x []int8, p poolShape, in model.QuantParams, lq *model.LayerQuant) {
	t.Helper()
	for oy := range p.OH {
		for ox := range p.OW {
			for c := range p.C {
				var sum, count float64
				for ky := range p.KH {
					for kx := range p.KW {
						y, xx := oy*p.SH-p.PadTop+ky, ox*p.SW-p.PadLeft+kx
						if y >= 0 && y < p.H && xx >= 0 && xx < p.W {
							sum += float64(x[(y*p.W+xx)*p.C+c])
							count++
						}
					}
				}
				var v float64
				if lq.Output == in {
					v = math.Round(sum / count)
				} else {
					mult, shift := kernel.QuantizeMultiplier(float64(in.Scale) / (float64(lq.Output.Scale) * count))
					left, right := math.Ldexp(1, max(int(shift), 0)), math.Ldexp(1, max(-int(shift), 0))
					prod := (sum - count*float64(in.ZeroPoint)) * left * float64(mult)
					require.Less(t, math.Abs(prod), math.Ldexp(1, 52), "the oracle's float64 stays exact")
					high := math.Floor(prod/math.Ldexp(1, 31) + 0.5)
					v = float64(lq.Output.ZeroPoint) + math.Round(high/right)
				}
				out[(oy*p.OW+ox)*p.C+c] = int8(min(max(v, float64(lq.ActMin)), float64(lq.ActMax)))
			}
		}
	}
}

// oracleWeights reads canonical weights and the requantisation of a layer.
func oracleWeights(t *testing.T, m *model.Model, q *model.LayerQuant, oc, k int) ([]int8, kernel.Requant) {
	t.Helper()
	require.Equal(t, CanonicalLayout, q.WeightLayout, "the oracle reads canonical weights")
	wt, err := m.Tensor(q.Weights)
	require.NoError(t, err)
	w, err := wt.Int8s()
	require.NoError(t, err)
	require.Len(t, w, oc*k)
	rq := kernel.Requant{OutZero: q.Output.ZeroPoint, ActMin: q.ActMin, ActMax: q.ActMax}
	rq.Bias, err = int32Tensor(m, q.Bias, "bias", oc)
	require.NoError(t, err)
	rq.Multiplier, err = int32Tensor(m, q.Multiplier, "multiplier", oc)
	require.NoError(t, err)
	rq.Shift, err = int32Tensor(m, q.Shift, "shift", oc)
	require.NoError(t, err)
	return w, rq
}

// oracleProbs is the head in float64: [1-p, p] for one logit, else softmax.
func oracleProbs(logits []float64) []float64 {
	if len(logits) == 1 {
		p := 1 / (1 + math.Exp(-logits[0]))
		return []float64{1 - p, p}
	}
	top := math.Inf(-1)
	for _, x := range logits {
		top = max(top, x)
	}
	var sum float64
	probs := make([]float64, len(logits))
	for i, x := range logits {
		probs[i] = math.Exp(x - top)
		sum += probs[i]
	}
	for i := range probs {
		probs[i] /= sum
	}
	return probs
}

// oracleFloat runs a float model straightforwardly in float64 on an RGB
// image of its input size and returns every layer's output (the last one
// before the head's activation) and the probabilities.
func oracleFloat(t *testing.T, m *model.Model, rgb []byte) ([][]float64, []float64) {
	t.Helper()
	x := make([]float64, len(rgb))
	for i, p := range rgb {
		x[i] = float64(float32(p)*m.Input.Scale + m.Input.Offset)
	}
	shape := m.InputShape()
	var outs [][]float64
	tensor := func(name string) []float64 {
		tt, err := m.Tensor(name)
		require.NoError(t, err)
		v, err := tt.Float32s()
		require.NoError(t, err)
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = float64(f)
		}
		return out
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		out := make([]float64, geom.Elems(l.OutputShape))
		switch l.Type {
		case model.Conv2D:
			s := convGeometry(l, shape, l.OutputShape)
			w, b := tensor(l.Weights[0]), tensor(l.Weights[1])
			for oy := range s.OH {
				for ox := range s.OW {
					for oc := range s.OC {
						acc := b[oc]
						for ky := range s.KH {
							for kx := range s.KW {
								iy, ix := oy*s.SH-s.PadTop+ky, ox*s.SW-s.PadLeft+kx
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								for ic := range s.C {
									acc += x[(iy*s.W+ix)*s.C+ic] * w[((ky*s.KW+kx)*s.C+ic)*s.OC+oc]
								}
							}
						}
						out[(oy*s.OW+ox)*s.OC+oc] = acc
					}
				}
			}
		case model.Dense:
			w, b := tensor(l.Weights[0]), tensor(l.Weights[1])
			for j := range l.Units {
				acc := b[j]
				for k, v := range x {
					acc += v * w[k*l.Units+j]
				}
				out[j] = acc
			}
		case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D:
			p := poolGeometry(l, shape)
			for oy := range p.OH {
				for ox := range p.OW {
					y0, y1, x0, x1 := p.window(oy, ox)
					for c := range p.C {
						v, n := math.Inf(-1), 0.0
						if l.Type != model.MaxPool2D {
							v = 0
						}
						for y := y0; y < y1; y++ {
							for xx := x0; xx < x1; xx++ {
								if in := x[(y*p.W+xx)*p.C+c]; l.Type == model.MaxPool2D {
									v = max(v, in)
								} else {
									v += in
									n++
								}
							}
						}
						if n > 0 {
							v /= n
						}
						out[(oy*p.OW+ox)*p.C+c] = v
					}
				}
			}
		case model.BatchNormalization:
			g, b, mean, vr := tensor(l.Weights[0]), tensor(l.Weights[1]), tensor(l.Weights[2]), tensor(l.Weights[3])
			c := len(g)
			for k, v := range x {
				out[k] = (v-mean[k%c])/math.Sqrt(vr[k%c]+l.Epsilon)*g[k%c] + b[k%c]
			}
		case model.Flatten, model.Dropout:
			copy(out, x)
		}
		if l.Activation == model.ReLU && i != len(m.Layers)-1 {
			for k, v := range out {
				out[k] = max(v, 0)
			}
		}
		outs = append(outs, out)
		x, shape = out, l.OutputShape
	}
	return outs, oracleProbs(x)
}
