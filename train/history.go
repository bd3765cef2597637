package train

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// EpochLog is one epoch's figures. Validation fields are NaN when there is
// no validation data.
type EpochLog struct {
	Epoch       int     // 1-based
	Loss        float64 // mean training loss over the epoch's samples
	Accuracy    float64
	ValLoss     float64
	ValAccuracy float64
	Seconds     float64 // wall time of the epoch, validation included
}

// HasValidation reports whether the epoch was validated.
func (e EpochLog) HasValidation() bool { return !math.IsNaN(e.ValLoss) }

// value returns the figure a Keras log key names: loss, val_loss, the
// accuracy metric or val_ plus it.
func (e EpochLog) value(key, metric string) (float64, bool) {
	switch key {
	case "loss":
		return e.Loss, true
	case "val_loss":
		return e.ValLoss, true
	case metric:
		return e.Accuracy, true
	case "val_" + metric:
		return e.ValAccuracy, true
	}
	return 0, false
}

// History is the record of a training run, as Keras' History callback.
type History struct {
	Metric string // accuracy metric name: binary_accuracy or accuracy
	Epochs []EpochLog
}

// Keys are the Keras log names in column order.
func (h *History) Keys() []string {
	keys := []string{"loss", h.Metric}
	if len(h.Epochs) > 0 && h.Epochs[0].HasValidation() {
		keys = append(keys, "val_loss", "val_"+h.Metric)
	}
	return keys
}

// Series returns the values of one log key per epoch.
func (h *History) Series(key string) []float64 {
	s := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		s[i], _ = e.value(key, h.Metric)
	}
	return s
}

// number is a figure that JSON writes as null when it is NaN or infinite
// (JSON has no such numbers), so a diverged run's history is still written.
type number float64

// MarshalJSON writes v, or null when it is not finite.
func (v number) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(v))
}

// MarshalJSON writes the history as Keras' history.history: one list per
// key, plus "epoch" and "seconds"; a NaN or infinite figure is null.
func (h *History) MarshalJSON() ([]byte, error) {
	m := map[string][]number{}
	epochs := make([]int, len(h.Epochs))
	secs := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		epochs[i], secs[i] = e.Epoch, e.Seconds
	}
	for _, k := range h.Keys() {
		for _, v := range h.Series(k) {
			m[k] = append(m[k], number(v))
		}
	}
	return json.Marshal(struct {
		Metric  string              `json:"metric"`
		Epoch   []int               `json:"epoch"`
		Seconds []float64           `json:"seconds"`
		History map[string][]number `json:"history"`
	}{h.Metric, epochs, secs, m})
}

// WriteCSV writes one row per epoch: epoch, then the Keras keys, then seconds.
func (h *History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	keys := h.Keys()
	cw.Write(append(append([]string{"epoch"}, keys...), "seconds"))
	for _, e := range h.Epochs {
		row := []string{strconv.Itoa(e.Epoch)}
		for _, k := range keys {
			v, _ := e.value(k, h.Metric)
			row = append(row, strconv.FormatFloat(v, 'g', 8, 64))
		}
		cw.Write(append(row, strconv.FormatFloat(e.Seconds, 'f', 3, 64)))
	}
	cw.Flush()
	return cw.Error()
}

// Save writes the history as CSV and as JSON, each atomically.
func (h *History) Save(csvPath, jsonPath string) error {
	if err := atomicfile.Write(csvPath, 0o644, h.WriteCSV); err != nil {
		return err
	}
	b, err := json.MarshalIndent(h, "", " ")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return atomicfile.WriteFile(jsonPath, append(b, '\n'), 0o644)
}
