package calib

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/model"
)

// InputName is the table entry of the model's input tensor; the other
// entries are named after the layers whose output they describe.
const InputName = "input"

// tableMagic starts the header line of a table file.
const tableMagic = "edgecnn-calib v1"

// Table is a calibration table: the chosen range of every activation tensor
// of one float model. Its text form is one header line naming the model,
// its hash and the method, then one line per tensor:
//
//	edgecnn-calib v1 model="seed-exercise" hash=3f2a... method=entropy samples=500 seed=1
//	# tensor min max scale zero_point
//	input 0 1 0.003921569 -128
//	conv2d 0 5.203 0.020404 -128
//
// A sigmoid or softmax head's entry describes its logits.
type Table struct {
	Model      string  `json:"model"`                // the model's name
	ModelHash  string  `json:"model_hash"`           // ModelHash of the float model
	Method     string  `json:"method"`               // one of Methods
	Percentile float64 `json:"percentile,omitempty"` // for the Percentile method
	Samples    int     `json:"samples"`              // calibration images used
	Seed       int64   `json:"seed"`                 // seed of the class-balanced sample
	Entries    []Entry `json:"entries"`
}

// Entry is one tensor's range and the int8 parameters that cover it.
type Entry struct {
	Name      string  `json:"name"`
	Min       float32 `json:"min"`
	Max       float32 `json:"max"`
	Scale     float32 `json:"scale"`
	ZeroPoint int32   `json:"zero_point"`
}

// NewEntry makes the entry for a tensor whose chosen range is [lo, hi].
func NewEntry(name string, lo, hi float64) Entry {
	s, zp := Params(lo, hi)
	return Entry{Name: name, Min: float32(math.Min(lo, 0)), Max: float32(math.Max(hi, 0)), Scale: s, ZeroPoint: zp}
}

// Params returns the quantisation parameters of the named tensor.
func (t *Table) Params(name string) (model.QuantParams, error) {
	for _, e := range t.Entries {
		if e.Name == name {
			return model.QuantParams{Scale: e.Scale, ZeroPoint: e.ZeroPoint}, nil
		}
	}
	return model.QuantParams{}, fmt.Errorf("calibration table has no entry for tensor %q", name)
}

// CheckModel refuses a table that was not made for m.
func (t *Table) CheckModel(m *model.Model) error {
	if h := ModelHash(m); h != t.ModelHash {
		return fmt.Errorf("calibration table was made for model %q (hash %.12s), not for model %q (hash %.12s): run edgecnn calib on this model",
			t.Model, t.ModelHash, m.Name, h)
	}
	return nil
}

// Write saves the table as text, atomically.
func (t *Table) Write(path string) error {
	b, err := t.Format()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// Format returns the table's text form.
func (t *Table) Format() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s model=%s hash=%s method=%s", tableMagic, strconv.Quote(t.Model), t.ModelHash, t.Method)
	if t.Method == Percentile {
		fmt.Fprintf(&b, " percentile=%s", strconv.FormatFloat(t.Percentile, 'g', -1, 64))
	}
	fmt.Fprintf(&b, " samples=%d seed=%d\n# tensor min max scale zero_point\n", t.Samples, t.Seed)
	for _, e := range t.Entries {
		if err := checkName(e.Name); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s %s %s %s %d\n", e.Name, fmtFloat(e.Min), fmtFloat(e.Max), fmtFloat(e.Scale), e.ZeroPoint)
	}
	return b.Bytes(), nil
}

// checkName refuses a tensor name that would not read back as one field
// of an entry line.
func checkName(name string) error {
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || strings.Contains(name, "#") {
		return fmt.Errorf("tensor name %q cannot be written to a calibration table (empty, a space or '#')", name)
	}
	return nil
}

func fmtFloat(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }

// ReadTable loads a table written by Write. Errors name the file and line.
func ReadTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTable reads a table's text form.
func ParseTable(r io.Reader) (*Table, error) {
	sc := bufio.NewScanner(r)
	t := &Table{}
	seen := map[string]bool{}
	line, header := 0, false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		var err error
		if !header {
			err = t.parseHeader(text)
			header = true
		} else {
			var e Entry
			if e, err = parseEntry(text); err == nil && seen[e.Name] {
				err = fmt.Errorf("tensor %q listed twice", e.Name)
			}
			seen[e.Name] = true
			t.Entries = append(t.Entries, e)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !header {
		return nil, errors.New("empty file: not a calibration table")
	}
	if !seen[InputName] {
		return nil, fmt.Errorf("no %q entry: the table is incomplete", InputName)
	}
	return t, nil
}

func (t *Table) parseHeader(s string) error {
	rest, ok := strings.CutPrefix(s, tableMagic+" ")
	if !ok {
		return fmt.Errorf("not a calibration table (the first line should start with %q)", tableMagic)
	}
	fields, err := keyValues(rest)
	if err != nil {
		return err
	}
	for k, v := range fields {
		switch k {
		case "model":
			t.Model = v
		case "hash":
			t.ModelHash = v
		case "method":
			t.Method = v
		case "percentile":
			t.Percentile, err = strconv.ParseFloat(v, 64)
		case "samples":
			t.Samples, err = strconv.Atoi(v)
		case "seed":
			t.Seed, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return fmt.Errorf("header field %s=%q: %w", k, v, err)
		}
	}
	if len(t.ModelHash) != 64 || strings.Trim(t.ModelHash, "0123456789abcdef") != "" {
		return fmt.Errorf("header has no model hash (hash=<64 hex digits>)")
	}
	if !slices.Contains(Methods, t.Method) {
		return fmt.Errorf("header method %q is not one of %s", t.Method, methodList)
	}
	_, hasPercentile := fields["percentile"]
	switch {
	case hasPercentile != (t.Method == Percentile):
		return fmt.Errorf("header field percentile goes with method=%s and only with it", Percentile)
	case hasPercentile && !(t.Percentile > 50 && t.Percentile <= 100):
		return fmt.Errorf("header percentile %v is outside (50, 100]", t.Percentile)
	}
	return nil
}

// keyValues splits `k=v k="quoted v"` into a map.
func keyValues(s string) (map[string]string, error) {
	m := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("malformed header field %q (want key=value)", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("header field %s: bad quoted value", k)
			}
			v, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		m[k] = v
		s = rest
	}
	return m, nil
}

func parseEntry(s string) (Entry, error) {
	f := strings.Fields(s)
	if len(f) != 5 {
		return Entry{}, fmt.Errorf("want 5 fields (tensor min max scale zero_point), got %d", len(f))
	}
	e := Entry{Name: f[0]}
	if err := checkName(e.Name); err != nil {
		return Entry{}, err
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i+1], 32)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Entry{}, fmt.Errorf("tensor %s: %q is not a finite number", e.Name, f[i+1])
		}
		v[i] = x
	}
	zp, err := strconv.ParseInt(f[4], 10, 32)
	if err != nil || zp < -128 || zp > 127 {
		return Entry{}, fmt.Errorf("tensor %s: zero point %q is not an integer in [-128, 127]", e.Name, f[4])
	}
	e.Min, e.Max, e.Scale, e.ZeroPoint = float32(v[0]), float32(v[1]), float32(v[2]), int32(zp)
	if e.Min > e.Max {
		return Entry{}, fmt.Errorf("tensor %s: min %v is above max %v", e.Name, e.Min, e.Max)
	}
	if e.Scale <= 0 {
		return Entry{}, fmt.Errorf("tensor %s: scale %v is not positive", e.Name, e.Scale)
	}
	return e, nil
}
