package train

import (
	"fmt"

	"github.com/edgecnn/edgecnn/model"
)

// outputSize applies TensorFlow's rule for one spatial dimension: 'same'
// gives ceil(in/stride) with the padding split evenly (the extra pixel at
// the end); 'valid' gives floor((in-k)/stride)+1 and no padding.
func outputSize(in, k, stride int, padding string) (out, padBefore int, err error) {
	switch padding {
	case model.Same:
		out = (in + stride - 1) / stride
		total := max((out-1)*stride+k-in, 0)
		return out, total / 2, nil
	case model.Valid:
		if in < k {
			return 0, 0, fmt.Errorf("window %d is larger than the input %d with padding valid", k, in)
		}
		return (in-k)/stride + 1, 0, nil
	}
	return 0, 0, fmt.Errorf("unknown padding %q (want same or valid)", padding)
}

// window is a 2-D sliding window: kernel or pool size, strides and padding.
type window struct {
	kh, kw, sh, sw  int
	padding         string
	padTop, padLeft int
}

// outShape computes the output size for input s and records the padding.
func (wd *window) outShape(s shape) (oh, ow int, err error) {
	if s.flat {
		return 0, 0, fmt.Errorf("needs a spatial (H, W, C) input, got a vector of %d", s.C)
	}
	if wd.kh <= 0 || wd.kw <= 0 || wd.sh <= 0 || wd.sw <= 0 {
		return 0, 0, fmt.Errorf("window %dx%d and strides %dx%d must be positive", wd.kh, wd.kw, wd.sh, wd.sw)
	}
	oh, wd.padTop, err = outputSize(s.H, wd.kh, wd.sh, wd.padding)
	if err != nil {
		return 0, 0, err
	}
	ow, wd.padLeft, err = outputSize(s.W, wd.kw, wd.sw, wd.padding)
	return oh, ow, err
}
