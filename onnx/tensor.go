package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// maxConstElems bounds one constant tensor (256 M elements), so a corrupt
// shape cannot ask for an absurd allocation.
const maxConstElems = 1 << 28

// constant is an initializer or a Constant node's value: its shape and its
// elements as float32 (FLOAT tensors) or int64 (INT64 and INT32 tensors).
type constant struct {
	dtype  onnxpb.TensorProto_DataType
	dims   []int
	floats []float32
	ints   []int64
}

func (c *constant) elems() int { return elems(c.dims) }

func elems(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// decodeTensor reads a TensorProto held in the file (external data is
// refused: an importer that silently reads other files is a surprise).
func decodeTensor(t *onnxpb.TensorProto) (*constant, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, fmt.Errorf("tensor %q keeps its data in an external file; only tensors stored inside the .onnx file are supported (re-save it with onnx.save_model(m, path, save_as_external_data=False))", t.GetName())
	}
	if t.GetSegment() != nil {
		return nil, fmt.Errorf("tensor %q is segmented; not supported", t.GetName())
	}
	c := &constant{dtype: onnxpb.TensorProto_DataType(t.GetDataType()), dims: make([]int, len(t.GetDims()))}
	n := 1
	for i, d := range t.GetDims() {
		if d < 0 || d > maxConstElems {
			return nil, fmt.Errorf("tensor %q: bad dimension %d in %v", t.GetName(), d, t.GetDims())
		}
		c.dims[i] = int(d)
		n *= int(d)
		if n > maxConstElems {
			return nil, fmt.Errorf("tensor %q: shape %v has more than %d elements", t.GetName(), t.GetDims(), maxConstElems)
		}
	}
	raw, name := t.GetRawData(), t.GetName()
	var err error
	switch dt := onnxpb.TensorProto_DataType(t.GetDataType()); dt {
	case onnxpb.TensorProto_FLOAT:
		c.floats, err = elements(name, raw, 4, n, t.GetFloatData(),
			func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }, func(v float32) float32 { return v })
	case onnxpb.TensorProto_INT64:
		c.ints, err = elements(name, raw, 8, n, t.GetInt64Data(),
			func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }, func(v int64) int64 { return v })
	case onnxpb.TensorProto_INT32:
		c.ints, err = elements(name, raw, 4, n, t.GetInt32Data(),
			func(b []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(b))) }, widen)
	case onnxpb.TensorProto_INT8:
		c.ints, err = elements(name, raw, 1, n, t.GetInt32Data(), func(b []byte) int64 { return int64(int8(b[0])) }, widen)
	case onnxpb.TensorProto_UINT8:
		c.ints, err = elements(name, raw, 1, n, t.GetInt32Data(), func(b []byte) int64 { return int64(b[0]) }, widen)
	default:
		return nil, fmt.Errorf("tensor %q: element type %s is not supported (float32, int64, int32, int8 and uint8 constants are)", name, dt)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// elements reads a tensor's n values: from raw (little-endian, width bytes
// each) when the file has raw data, else from the typed list.
func elements[T, L any](name string, raw []byte, width, n int, list []L, read func([]byte) T, conv func(L) T) ([]T, error) {
	// Lengths are checked before allocating, so a small file cannot ask for
	// a large tensor.
	if raw != nil {
		if len(raw) != width*n {
			return nil, fmt.Errorf("tensor %q: %d bytes of raw data for %d values of %d bytes", name, len(raw), n, width)
		}
		v := make([]T, 0, n)
		for i := range n {
			v = append(v, read(raw[width*i:]))
		}
		return v, nil
	}
	if len(list) != n {
		return nil, fmt.Errorf("tensor %q: %d values for %d elements", name, len(list), n)
	}
	v := make([]T, 0, n)
	for _, x := range list {
		v = append(v, conv(x))
	}
	return v, nil
}

func widen(v int32) int64 { return int64(v) }

// floatTensor makes a FLOAT TensorProto with raw little-endian data.
func floatTensor(name string, dims []int, v []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return &onnxpb.TensorProto{Name: &name, Dims: int64s(dims), DataType: ptr(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
}

// int64Tensor makes an INT64 TensorProto.
func int64Tensor(name string, v []int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: &name, Dims: []int64{int64(len(v))}, DataType: ptr(int32(onnxpb.TensorProto_INT64)), Int64Data: v}
}

func int64s(v []int) []int64 {
	r := make([]int64, len(v))
	for i, x := range v {
		r[i] = int64(x)
	}
	return r
}

func ptr[T any](v T) *T { return &v }
