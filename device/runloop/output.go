package runloop

import (
	"strconv"
	"unicode/utf8"
)

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

// appendResult appends one result line, JSON or tab-separated text.
func appendResult(b []byte, json bool, frame uint64, label string, prob float32, latencyMS float64, file string) []byte {
	if json {
		b = append(b, `{"frame":`...)
		b = strconv.AppendUint(b, frame, 10)
		b = append(b, `,"label":`...)
		b = appendJSONString(b, label)
		b = append(b, `,"probability":`...)
		b = strconv.AppendFloat(b, float64(prob), 'g', -1, 32) // shortest exact float32
		b = append(b, `,"latency_ms":`...)
		b = strconv.AppendFloat(b, latencyMS, 'f', 3, 64)
		if file != "" {
			b = append(b, `,"file":`...)
			b = appendJSONString(b, file)
		}
		return append(b, '}', '\n')
	}
	b = strconv.AppendUint(b, frame, 10)
	b = append(b, '\t')
	b = append(b, label...)
	b = append(b, '\t')
	b = strconv.AppendFloat(b, float64(prob), 'f', 4, 32)
	b = append(b, '\t')
	b = strconv.AppendFloat(b, latencyMS, 'f', 2, 64)
	b = append(b, " ms"...)
	if file != "" {
		b = append(b, '\t')
		b = append(b, file...)
	}
	return append(b, '\n')
}
