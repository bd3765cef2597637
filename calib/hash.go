package calib

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/edgecnn/edgecnn/model"
)

// ModelHash identifies a model's graph and weights: the SHA-256 of its input
// preprocessing, labels, layers and every tensor (name, dtype, shape, data),
// in hex. Name, provenance, parity figures and probes do not count, so
// re-saving a model or adding probes
// keeps its hash.
func ModelHash(m *model.Model) string {
	h := sha256.New()
	graph, _ := json.Marshal(struct {
		Input  model.Preprocess
		Labels []string
		Layers []model.Layer
	}{m.Input, m.Labels, m.Layers}) // plain structs: Marshal cannot fail
	writeField(h, graph)
	probes := map[string]bool{}
	for _, p := range m.Probes {
		probes[p.Input] = true
	}
	for _, t := range m.Tensors {
		if probes[t.Name] {
			continue
		}
		writeField(h, []byte(t.Name))
		writeField(h, []byte(t.DType))
		for _, d := range t.Shape {
			binary.Write(h, binary.LittleEndian, int64(d))
		}
		writeField(h, t.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes b with its length, so fields cannot run together.
func writeField(w io.Writer, b []byte) {
	binary.Write(w, binary.LittleEndian, int64(len(b)))
	w.Write(b)
}
