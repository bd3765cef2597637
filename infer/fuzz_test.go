package infer

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/model"
)

// reseal makes b pass the container checks again after a mutation: the
// length field and the checksum are recomputed, so the fuzzer reaches the
// graph checks of Load.
func reseal(b []byte) []byte {
	if len(b) < 28 {
		return b
	}
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(b)))
	end := len(b) - 4
	binary.LittleEndian.PutUint32(b[end:], crc32.Checksum(b[:end], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// FuzzLoad mutates valid int8 and float models: Load must return an error
// or a runtime that classifies a frame, never panic.
func FuzzLoad(f *testing.F) {
	layers := []model.Layer{conv(3, 3, 2, same, reluAct), avgPool(2, 1, same), flatten(), dense(2, model.Softmax)}
	q, err := randmodel.Int8("fuzz", 5, 4, layers, randmodel.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	fl, err := randmodel.Float("fuzz", 5, 4, append(layers[:1:1], batchNorm(), gap(), dense(1, model.Sigmoid)), randmodel.Options{Seed: 1, DType: model.Float16})
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range []*model.Model{q, fl} {
		b, err := model.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	frame := make([]byte, 7*3*3)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := model.Decode(reseal(b))
		if err != nil {
			return
		}
		r, err := Load(m, Options{Threads: 2})
		if err != nil {
			return
		}
		defer r.Close()
		if r.ArenaBytes() > 1<<20 {
			return
		}
		if _, err := r.ClassifyRGB(frame, 7, 3); err != nil {
			t.Fatalf("a loaded model failed to classify: %v", err)
		}
		if err := r.SelfCheck(); err != nil && len(m.Probes) == 0 {
			t.Fatalf("self-check without probes: %v", err)
		}
	})
}
