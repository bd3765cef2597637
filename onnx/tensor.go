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
	raw := t.GetRawData()
	switch dt := onnxpb.TensorProto_DataType(t.GetDataType()); dt {
	case onnxpb.TensorProto_FLOAT:
		if raw != nil {
			if len(raw) != 4*n {
				return nil, fmt.Errorf("tensor %q: %d bytes of raw data for %d floats", t.GetName(), len(raw), n)
			}
			c.floats = make([]float32, n)
			for i := range c.floats {
				c.floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			if len(t.GetFloatData()) != n {
				return nil, fmt.Errorf("tensor %q: %d floats for shape %v", t.GetName(), len(t.GetFloatData()), c.dims)
			}
			c.floats = append([]float32(nil), t.GetFloatData()...)
		}
	case onnxpb.TensorProto_INT64:
		if raw != nil {
			if len(raw) != 8*n {
				return nil, fmt.Errorf("tensor %q: %d bytes of raw data for %d int64s", t.GetName(), len(raw), n)
			}
			c.ints = make([]int64, n)
			for i := range c.ints {
				c.ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		} else {
			if len(t.GetInt64Data()) != n {
				return nil, fmt.Errorf("tensor %q: %d int64s for shape %v", t.GetName(), len(t.GetInt64Data()), c.dims)
			}
			c.ints = append([]int64(nil), t.GetInt64Data()...)
		}
	case onnxpb.TensorProto_INT32:
		if raw != nil {
			if len(raw) != 4*n {
				return nil, fmt.Errorf("tensor %q: %d bytes of raw data for %d int32s", t.GetName(), len(raw), n)
			}
			c.ints = make([]int64, n)
			for i := range c.ints {
				c.ints[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		} else {
			if len(t.GetInt32Data()) != n {
				return nil, fmt.Errorf("tensor %q: %d int32s for shape %v", t.GetName(), len(t.GetInt32Data()), c.dims)
			}
			c.ints = make([]int64, n)
			for i, v := range t.GetInt32Data() {
				c.ints[i] = int64(v)
			}
		}
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8:
		c.ints = make([]int64, n)
		switch {
		case raw != nil && len(raw) == n:
			for i, x := range raw {
				if c.ints[i] = int64(x); dt == onnxpb.TensorProto_INT8 {
					c.ints[i] = int64(int8(x))
				}
			}
		case raw == nil && len(t.GetInt32Data()) == n:
			for i, x := range t.GetInt32Data() {
				c.ints[i] = int64(x)
			}
		default:
			return nil, fmt.Errorf("tensor %q: %d bytes of raw data, %d int32s for %d %s values", t.GetName(), len(raw), len(t.GetInt32Data()), n, dt)
		}
	default:
		return nil, fmt.Errorf("tensor %q: element type %s is not supported (float32, int64, int32, int8 and uint8 constants are)", t.GetName(), dt)
	}
	return c, nil
}

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
