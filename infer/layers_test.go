package infer

import "github.com/edgecnn/edgecnn/model"

// Layer constructors for test models (Keras attributes only).

func conv(filters, k, stride int, padding, act string) model.Layer {
	return convHW(filters, k, k, stride, stride, padding, act)
}

func convHW(filters, kh, kw, sh, sw int, padding, act string) model.Layer {
	return model.Layer{Type: model.Conv2D, Filters: filters, KernelSize: [2]int{kh, kw}, Strides: [2]int{sh, sw}, Padding: padding, Activation: act}
}

func maxPool(p, s int, padding string) model.Layer {
	return model.Layer{Type: model.MaxPool2D, PoolSize: [2]int{p, p}, Strides: [2]int{s, s}, Padding: padding}
}

func avgPool(p, s int, padding string) model.Layer {
	return model.Layer{Type: model.AveragePooling2D, PoolSize: [2]int{p, p}, Strides: [2]int{s, s}, Padding: padding}
}

func gap() model.Layer       { return model.Layer{Type: model.GlobalAveragePooling2D} }
func flatten() model.Layer   { return model.Layer{Type: model.Flatten} }
func dropout() model.Layer   { return model.Layer{Type: model.Dropout, Rate: 0.2} }
func batchNorm() model.Layer { return model.Layer{Type: model.BatchNormalization, Epsilon: 1e-3} }

func dense(units int, act string) model.Layer {
	return model.Layer{Type: model.Dense, Units: units, Activation: act}
}

// stack is a test network: layers on an input of h x w RGB pixels.
type stack struct {
	name   string
	h, w   int
	layers []model.Layer
}

const (
	same, valid  = model.Same, model.Valid
	reluAct, lin = model.ReLU, model.Linear
)

// seedTutorial and seedExercise are the presets' layer lists (see the
// PyTorch peer in shared/peers): Keras 'same' convolutions, 2x2 pools.
func seedTutorial() []model.Layer {
	return []model.Layer{
		conv(32, 5, 1, same, reluAct), maxPool(2, 2, valid),
		conv(64, 3, 1, same, reluAct), maxPool(2, 2, valid),
		conv(128, 3, 1, same, reluAct), maxPool(2, 2, valid),
		flatten(), dense(6, reluAct), dense(1, model.Sigmoid),
	}
}

func seedExercise() []model.Layer {
	return []model.Layer{
		conv(32, 3, 1, same, reluAct), maxPool(2, 2, valid),
		conv(64, 3, 1, same, reluAct), maxPool(2, 2, valid),
		conv(128, 3, 1, same, reluAct), conv(128, 3, 1, same, reluAct), maxPool(2, 2, valid),
		flatten(), dense(6, reluAct), dropout(), dense(1, model.Sigmoid),
	}
}

// shapeStacks cover the awkward geometries: channels that are no multiple
// of 4, 8 or 16, width 1, a 1x1 input, kernels larger than the input with
// 'same' padding, strides of 2, 'valid' padding, every pooling layer.
func shapeStacks() []stack {
	return []stack{
		{"seed-tutorial", 32, 32, seedTutorial()},
		{"odd-channels", 13, 11, []model.Layer{
			conv(5, 3, 1, same, reluAct), conv(7, 3, 2, same, reluAct), maxPool(3, 2, same),
			conv(13, 1, 1, valid, lin), gap(), dense(3, model.Softmax)}},
		{"width-1", 9, 1, []model.Layer{
			conv(6, 3, 1, same, reluAct), convHW(3, 3, 1, 2, 1, same, reluAct), flatten(), dense(2, model.Softmax)}},
		{"1x1-input", 1, 1, []model.Layer{
			conv(9, 3, 1, same, reluAct), conv(4, 5, 1, same, lin), flatten(), dense(1, model.Sigmoid)}},
		{"kernel-larger-than-input", 3, 4, []model.Layer{
			conv(10, 7, 1, same, reluAct), conv(17, 5, 2, same, reluAct), maxPool(2, 2, same), flatten(), dense(5, model.Softmax)}},
		{"valid-strides", 17, 15, []model.Layer{
			conv(8, 3, 2, valid, reluAct), convHW(12, 2, 3, 1, 2, valid, reluAct), avgPool(3, 1, same),
			avgPool(2, 2, valid), flatten(), dense(10, lin)}},
		{"dense-only", 4, 5, []model.Layer{flatten(), dense(33, reluAct), dropout(), dense(7, model.Softmax)}},
	}
}
