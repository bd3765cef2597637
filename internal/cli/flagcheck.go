package cli

import (
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/infer"
)

// maxThreads bounds --threads and --workers in every command; 0 means all
// cores.
const maxThreads = 256

// flagRange is the allowed range of a numeric flag, the same in every
// command that has it.
type flagRange struct {
	min, max float64
	note     string // what the bounds mean, e.g. "0 = all cores"
}

// flagRanges bounds every numeric flag by name. checkFlags applies them to
// whichever flags a command has, so a new command inherits the rules.
var flagRanges = map[string]flagRange{
	"batch-size":       {1, 1 << 16, ""},
	"batches":          {1, 1 << 30, ""},
	"classes":          {1, 1 << 16, ""},
	"epochs":           {1, 1 << 20, ""},
	"frames":           {0, 1 << 40, ""},
	"warmup":           {0, 1 << 30, ""},
	"image-size":       {1, 4096, ""},
	"size":             {1, 4096, ""},
	"frame-width":      {0, 16384, "0 = the model's input width"},
	"frame-height":     {0, 16384, "0 = the model's input height"},
	"threads":          {0, maxThreads, "0 = all cores"},
	"workers":          {0, maxThreads, "0 = all cores"},
	"samples":          {0, 1 << 24, "0 = all images"},
	"probes":           {0, 1 << 10, ""},
	"report-images":    {0, 1 << 24, ""},
	"layer-images":     {0, 1 << 24, ""},
	"train":            {1, 1 << 20, ""},
	"valid":            {0, 1 << 20, ""},
	"patience":         {0, 1 << 20, ""},
	"lr":               {0, math.MaxFloat64, ""},
	"epsilon":          {0, math.MaxFloat64, ""},
	"momentum":         {0, 1, ""},
	"bn-momentum":      {0, 0.99999, "0 = the architecture's own"},
	"bn-recalibrate":   {0, 1 << 20, "0 = off"},
	"min-delta":        {0, math.MaxFloat64, ""},
	"validation-split": {0, 0.99, ""},
	"percentile":       {0, 100, ""},
	"threshold":        {0, 1, ""},
	"fps":              {0, 1e6, ""},
	"max-drop":         {0, 100, ""},
	"min-agreement":    {0, 1, ""},
	"http-fps":         {0.01, 1000, ""},
	"below":            {0, 1, ""},
	"quality":          {1, 100, ""},
	"count":            {0, 1 << 30, "0 = no limit"},
	"alpha":            {0.01, 4, ""},
	"max-pixels":       {1, 1 << 40, ""},
	"seed":             {-(1 << 53), 1 << 53, ""},
	"scale":            {1e-9, 1e9, ""},
}

// numericTypes are the pflag value types checkFlags reads.
var numericTypes = map[string]bool{"int": true, "int64": true, "float64": true, "intSlice": true}

// IsNumericFlag reports whether checkFlags reads f's value as a number.
func IsNumericFlag(f *pflag.Flag) bool { return numericTypes[f.Value.Type()] }

// HasFlagRange reports whether a numeric flag called name has a range, so
// checkFlags checks it.
func HasFlagRange(name string) bool {
	_, ok := flagRanges[name]
	return ok
}

// checkFlags refuses a numeric flag of cmd outside its flagRanges entry
// (NaN and infinities included) with a one-line usage error naming the
// flag. Defaults are the program's own and are not checked (a default of 0
// can mean "not given", as capture's --image-size). The root command runs it
// before every command.
func checkFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		r, ok := flagRanges[f.Name]
		if !ok || err != nil || !f.Changed || !numericTypes[f.Value.Type()] {
			return
		}
		values := []string{f.Value.String()}
		if s, ok := f.Value.(pflag.SliceValue); ok {
			values = s.GetSlice()
		}
		for _, s := range values {
			if v, perr := strconv.ParseFloat(s, 64); perr != nil || !(v >= r.min && v <= r.max) {
				err = fmt.Errorf("--%s %s: %s", f.Name, s, r.describe())
				return
			}
		}
	})
	return err
}

// describe says what the range allows.
func (r flagRange) describe() string {
	want := fmt.Sprintf("want a number from %s to %s", number(r.min), number(r.max))
	if r.max == math.MaxFloat64 {
		want = fmt.Sprintf("want a finite number of at least %s", number(r.min))
	}
	if r.note != "" {
		want += " (" + r.note + ")"
	}
	return want
}

// number formats a bound without an exponent.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ResolveThreads turns a checked --threads or --workers value into a
// worker count: 0 is all cores.
func ResolveThreads(n int) int {
	if n == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// InferThreads is ResolveThreads for the inference runtime, which has at
// most infer.MaxThreads workers.
func InferThreads(n int) int {
	return min(ResolveThreads(n), infer.MaxThreads)
}
