package onnx

import (
	"github.com/edgecnn/edgecnn/model"
)

// The model's windows have Keras' two paddings: 'valid' (none) and 'same'
// (output ceil(n/s), total padding max((o-1)*s+k-n, 0) with the smaller half
// first). ONNX pads explicitly, and PyTorch pads symmetrically, which for a
// stride-2 window on an even input is not 'same'. The functions here find a
// Keras window that computes exactly the ONNX one.

// axis is one spatial axis of an ONNX window: input size n, kernel k, stride
// s, padding before and after, and the output size ONNX gives.
type axis struct{ n, k, s, before, after, out int }

// ceilOut computes the output size of the ONNX formula (ceil_mode for pools).
func (a axis) onnxOut(ceil bool) int {
	span := a.n + a.before + a.after - a.k
	if span < 0 {
		return 0
	}
	if ceil {
		return (span+a.s-1)/a.s + 1
	}
	return span/a.s + 1
}

// sameBefore is Keras' 'same' padding before the data for kernel k, or -1
// when 'same' would not give out outputs.
func sameBefore(n, k, s, out int) int {
	if (n+s-1)/s != out {
		return -1
	}
	return max((out-1)*s+k-n, 0) / 2
}

// validFits reports whether Keras' 'valid' window of size k gives the ONNX
// windows of a: no padding before, and the same number of outputs (padding
// after that no window reaches does not matter).
func validFits(a axis, k int) bool {
	return a.before == 0 && a.n >= k && (a.n-k)/a.s+1 == a.out
}

// convExtension finds zeros to put around a convolution kernel, pre before
// and post after it, so that Keras' padding gives the ONNX windows: a
// zero-extended kernel computes the same sums (the extra taps multiply by
// zero), and its window starts where ONNX's does. It returns false when
// neither padding can.
func convExtension(a axis, padding string) (pre, post int, ok bool) {
	if padding == model.Valid {
		return 0, 0, validFits(a, a.k)
	}
	for ext := 0; ext <= a.k; ext++ {
		for pre = 0; pre <= ext; pre++ {
			if b := sameBefore(a.n, a.k+ext, a.s, a.out); b >= 0 && b-pre == a.before {
				return pre, ext - pre, true
			}
		}
	}
	return 0, 0, false
}

// convWindow is a convolution's Keras padding and kernel extension per axis.
type convWindow struct {
	padding   string
	pre, post [2]int // zeros before and after the kernel, (h, w)
}

// solveConv picks the padding (with the smaller extended kernel) that makes
// both axes exact; 'same' on a tie (a 1x1 kernel), as Keras models write
// them, so that an exported model imports as it was.
func solveConv(h, w axis) (convWindow, bool) {
	best, found := convWindow{}, false
	for _, p := range []string{model.Same, model.Valid} {
		ph, qh, okh := convExtension(h, p)
		pw, qw, okw := convExtension(w, p)
		if !okh || !okw {
			continue
		}
		c := convWindow{padding: p, pre: [2]int{ph, pw}, post: [2]int{qh, qw}}
		if !found || c.size(h, w) < best.size(h, w) {
			best, found = c, true
		}
	}
	return best, found
}

func (c convWindow) size(h, w axis) int {
	return (h.k + c.pre[0] + c.post[0]) * (w.k + c.pre[1] + c.post[1])
}

// poolPadding is the Keras padding whose pooling windows are the ONNX ones,
// or "" when there is none. Pools ignore padding (max of real pixels,
// average over their count), as ONNX does with count_include_pad=0.
func poolPadding(h, w axis) string {
	if validFits(h, h.k) && validFits(w, w.k) {
		return model.Valid
	}
	if sameBefore(h.n, h.k, h.s, h.out) == h.before && sameBefore(w.n, w.k, w.s, w.out) == w.before {
		return model.Same
	}
	return ""
}

// poolViaStride1 reports whether the ONNX pool equals a stride-1 'same'
// pool followed by taking every s-th pixel (a 1x1 max pool of stride s):
// true when 'same' at stride 1 starts each window where ONNX does, as for
// PyTorch's MaxPool2d(3, 2, padding=1) on an even input.
func poolViaStride1(h, w axis) bool {
	for _, a := range []axis{h, w} {
		if sameBefore(a.n, a.k, 1, a.n) != a.before || (a.n-1)/a.s+1 != a.out {
			return false
		}
	}
	return true
}
