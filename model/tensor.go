package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/x448/float16"
)

// DType is a tensor element type (and, for a Model, its compute type).
type DType string

// Element types.
const (
	Float32 DType = "float32"
	Float16 DType = "float16"
	Int8    DType = "int8"
	Int32   DType = "int32"
)

// Size is the number of bytes per element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float16:
		return 2
	case Int8:
		return 1
	}
	return 0
}

// Tensor is a named n-dimensional array of little-endian elements. After
// Decode, Data aliases the file's bytes (64-byte aligned within the file).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Elems is the product of the shape.
func (t *Tensor) Elems() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// NewFloat32 makes a float32 tensor holding a copy of v.
func NewFloat32(name string, shape []int, v []float32) *Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return &Tensor{Name: name, DType: Float32, Shape: append([]int(nil), shape...), Data: b}
}

// NewFloat16 makes a float16 tensor from v, rounding to nearest even.
func NewFloat16(name string, shape []int, v []float32) *Tensor {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], float16.Fromfloat32(x).Bits())
	}
	return &Tensor{Name: name, DType: Float16, Shape: append([]int(nil), shape...), Data: b}
}

// NewInt8 makes an int8 tensor holding a copy of v.
func NewInt8(name string, shape []int, v []int8) *Tensor {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return &Tensor{Name: name, DType: Int8, Shape: append([]int(nil), shape...), Data: b}
}

// NewInt32 makes an int32 tensor holding a copy of v.
func NewInt32(name string, shape []int, v []int32) *Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return &Tensor{Name: name, DType: Int32, Shape: append([]int(nil), shape...), Data: b}
}

// Float32s returns the values as a new float32 slice; float16 tensors are
// widened exactly.
func (t *Tensor) Float32s() ([]float32, error) {
	n := t.Elems()
	switch t.DType {
	case Float32:
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return v, nil
	case Float16:
		v := make([]float32, n)
		for i := range v {
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(t.Data[2*i:])).Float32()
		}
		return v, nil
	}
	return nil, fmt.Errorf("tensor %q: dtype %s is not a float type", t.Name, t.DType)
}

// Int8s returns the values as an int8 slice that aliases Data (no copy).
func (t *Tensor) Int8s() ([]int8, error) {
	if t.DType != Int8 {
		return nil, fmt.Errorf("tensor %q: dtype %s, want int8", t.Name, t.DType)
	}
	if len(t.Data) == 0 {
		return nil, nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&t.Data[0])), len(t.Data)), nil
}

// Int32s returns the values as a new int32 slice.
func (t *Tensor) Int32s() ([]int32, error) {
	if t.DType != Int32 {
		return nil, fmt.Errorf("tensor %q: dtype %s, want int32", t.Name, t.DType)
	}
	v := make([]int32, t.Elems())
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}
