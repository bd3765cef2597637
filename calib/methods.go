package calib

import "strings"

// Calibration methods.
const (
	MinMax     = "minmax"
	Percentile = "percentile"
	Entropy    = "entropy"
	MSE        = "mse"
)

// Methods lists the calibration methods.
var Methods = []string{MinMax, Percentile, Entropy, MSE}

var methodList = strings.Join(Methods, ", ")

// DefaultPercentile is the percentile used by the Percentile method unless
// told otherwise.
const DefaultPercentile = 99.99
