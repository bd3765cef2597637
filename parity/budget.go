package parity

import (
	"fmt"
	"strings"
)

// Budget is what a quantised model may lose against its float model.
type Budget struct {
	// MaxDrop is the largest allowed accuracy loss in percentage points.
	MaxDrop float64 `json:"max_drop"`
	// MinAgreement is the smallest allowed fraction of images on which both
	// models pick the same class.
	MinAgreement float64 `json:"min_agreement"`
}

// DefaultBudget allows half an accuracy point and 1% disagreement.
var DefaultBudget = Budget{MaxDrop: 0.5, MinAgreement: 0.99}

// BudgetError says how a model broke its budget.
type BudgetError struct {
	Violations []string
	// Worst are the layers with the lowest SQNR (when measured).
	Worst []LayerError
}

// Error lists the violations and, when measured, the worst layers.
func (e *BudgetError) Error() string {
	s := "parity budget broken: " + strings.Join(e.Violations, "; ")
	if len(e.Worst) > 0 {
		var names []string
		for _, l := range e.Worst {
			names = append(names, fmt.Sprintf("%s (%.1f dB)", l.Name, l.SQNR))
		}
		s += "; worst layers: " + strings.Join(names, ", ")
	}
	return s
}

// Check returns a *BudgetError if r breaks b, else nil.
func (r *Result) Check(b Budget) error {
	var v []string
	if drop := 100 * (r.FloatAccuracy - r.Int8Accuracy); drop > b.MaxDrop {
		v = append(v, fmt.Sprintf("accuracy drops %.2f points (%.2f%% -> %.2f%%), budget %.2f", drop, 100*r.FloatAccuracy, 100*r.Int8Accuracy, b.MaxDrop))
	}
	if r.Agreement < b.MinAgreement {
		v = append(v, fmt.Sprintf("top-1 agreement %.2f%% (%d of %d images differ), budget %.2f%%", 100*r.Agreement, r.Disagreements, r.Images, 100*b.MinAgreement))
	}
	if len(v) == 0 {
		return nil
	}
	return &BudgetError{Violations: v, Worst: Worst(r.Layers, 3)}
}
