package pipeline

import (
	"fmt"
	"os"
	"time"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/parity"
	"github.com/edgecnn/edgecnn/quantize"
)

// QuantizeOptions describe one quantisation: the float model and the images
// and limits around it.
type QuantizeOptions struct {
	Model  *model.Model // the float32 model
	Source string       // its file, for the provenance and the size report
	DType  model.DType  // model.Int8 or model.Float16
	// Table is the int8 calibration table (required for int8).
	Table *calib.Table
	// Calib are calibration images: the per-layer report and the probes
	// come from them (Valid when nil; none when both are nil).
	Calib *dataset.Dataset
	// Valid are labelled images for the parity gate; nil: no gate.
	Valid  *dataset.Dataset
	Budget parity.Budget
	// Force writes a model that breaks Budget (with a warning).
	Force bool
	// Probes is how many self-check images to store in the model.
	Probes int
	// ReportImages is how many calibration images the per-layer report
	// compares.
	ReportImages int
	// Workers are the parity check's parallel runtimes (at least 1).
	Workers int
	// Output is the model file to write (atomically).
	Output string
	// Warn receives warnings (nil: dropped).
	Warn func(string)
}

// QuantizeReport is what Quantize did; the edgecnn quantize command prints
// it (as JSON with --json).
type QuantizeReport struct {
	Model        string              `json:"model"`
	Output       string              `json:"output"`
	DType        model.DType         `json:"dtype"`
	Calib        string              `json:"calib,omitempty"`
	FloatBytes   int64               `json:"float_bytes"`
	OutputBytes  int64               `json:"output_bytes"`
	Weights      *quantize.Report    `json:"weights,omitempty"`
	Activations  []parity.LayerError `json:"activations,omitempty"`
	Parity       *parity.Result      `json:"parity,omitempty"`
	Budget       *parity.Budget      `json:"budget,omitempty"`
	BudgetBroken string              `json:"budget_broken,omitempty"`
	Probes       int                 `json:"probes"`
}

// Quantize quantises opt.Model, compares it layer by layer on the
// calibration images, runs the parity gate on opt.Valid, stores the parity
// figures and self-check probes in it and writes it to opt.Output. A model
// that breaks the budget is not written (unless opt.Force): the report comes
// back with an error wrapping a *parity.BudgetError.
func Quantize(opt QuantizeOptions) (*QuantizeReport, error) {
	warn := opt.Warn
	if warn == nil {
		warn = func(string) {}
	}
	m := opt.Model
	rep := &QuantizeReport{Model: opt.Source, Output: opt.Output, DType: opt.DType}
	var q *model.Model
	var err error
	switch opt.DType {
	case model.Int8:
		if opt.Table == nil {
			return nil, fmt.Errorf("int8 quantisation needs a calibration table")
		}
		t := opt.Table
		rep.Calib = fmt.Sprintf("%s on %d images (seed %d)", t.Method, t.Samples, t.Seed)
		if q, rep.Weights, err = quantize.Quantize(m, t, quantize.Options{Source: opt.Source}); err != nil {
			return nil, err
		}
	case model.Float16:
		if q, err = quantize.Float16(m); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("dtype %q: want int8 or float16", opt.DType)
	}
	q.Provenance.Created = time.Now().UTC()
	q.Provenance.Tool = "edgecnn quantize"

	calibSet := opt.Calib
	if calibSet == nil {
		calibSet = opt.Valid
	}
	if calibSet != nil {
		if rep.Activations, err = parity.LayerErrors(m, q, calibSet, opt.ReportImages); err != nil {
			return nil, err
		}
	}
	var verdict error
	if opt.Valid != nil {
		if rep.Parity, err = parity.Compare(m, q, opt.Valid, parity.Options{Workers: opt.Workers}); err != nil {
			return nil, err
		}
		rep.Parity.Layers = rep.Activations
		rep.Budget = &opt.Budget
		q.Parity = rep.Parity.Parity()
		if verdict = rep.Parity.Check(opt.Budget); verdict != nil {
			rep.BudgetBroken = verdict.Error()
		}
	}
	if verdict != nil && !opt.Force {
		return rep, fmt.Errorf("%s not written: %w", opt.Output, verdict)
	}
	if verdict != nil {
		warn(fmt.Sprintf("writing %s although it breaks the parity budget: %v", opt.Output, verdict))
	}
	if calibSet != nil && opt.Probes > 0 {
		if err := parity.AddProbes(q, calibSet, opt.Probes); err != nil {
			return nil, err
		}
	} else if opt.Probes > 0 {
		warn("no calibration or validation images for self-check probes; the model stores none")
	}
	rep.Probes = len(q.Probes)
	if err := model.Save(opt.Output, q); err != nil {
		return nil, err
	}
	if rep.FloatBytes, err = fileSize(opt.Source); err != nil {
		return nil, err
	}
	if rep.OutputBytes, err = fileSize(opt.Output); err != nil {
		return nil, err
	}
	return rep, nil
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
