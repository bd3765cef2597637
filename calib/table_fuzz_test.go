package calib

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseTable mutates valid calibration tables: ParseTable must return a
// non-empty error or a table that Format writes and ParseTable reads back
// unchanged.
func FuzzParseTable(f *testing.F) {
	hash := strings.Repeat("3f", 32)
	for _, tab := range []*Table{
		{Model: "tiny dense", ModelHash: hash, Method: Percentile, Percentile: 99.9, Samples: 500, Seed: 7,
			Entries: []Entry{NewEntry(InputName, 0, 1), NewEntry("dense", -3.25, 7.1)}},
		{Model: `odd "name"\n`, ModelHash: hash, Method: Entropy, Samples: 1, Seed: -3,
			Entries: []Entry{NewEntry("conv2d", 0, 5.203), NewEntry(InputName, -1, 1)}},
	} {
		b, err := tab.Format()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("edgecnn-calib v1 hash=" + hash + " method=mse\n\n# comment\r\ninput 0 0 1e-45 127\n"))
	f.Add([]byte("edgecnn-calib v1 hash=" + hash + " method=minmax\ninput 0 1 1 0\na#b 0 1 1 0\nc\u00a0d 0 1 1 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ParseTable(bytes.NewReader(b))
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		text, err := tab.Format()
		require.NoError(t, err, "a parsed table must be writable")
		again, err := ParseTable(bytes.NewReader(text))
		require.NoError(t, err, "reading back:\n%s", text)
		require.Equal(t, tab, again, "written as:\n%s", text)
	})
}
