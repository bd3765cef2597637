package live

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fpsWindow is the span of recent frames the frame rate is measured over.
const fpsWindow = 5 * time.Second

// Status is what /api/status returns.
type Status struct {
	Model  string   `json:"model,omitempty"`
	Camera string   `json:"camera,omitempty"`
	Labels []string `json:"labels"`
	// Frames is the number of frames seen; the fields below describe the
	// newest (Class -1 and no Label before the first, or without a model).
	Frames        uint64    `json:"frames"`
	Class         int       `json:"class"`
	Label         string    `json:"label"`
	Probability   float32   `json:"probability"`
	Probabilities []float32 `json:"probabilities"`
	// FPS is the frame rate over the last five seconds.
	FPS float64 `json:"fps"`
	// LatencyMedianMS and LatencyP99MS cover the last 512 frames.
	LatencyMedianMS float64 `json:"latency_median_ms"`
	LatencyP99MS    float64 `json:"latency_p99_ms"`
	Dropped         uint64  `json:"dropped"`
	UptimeS         float64 `json:"uptime_s"`
	// LastFrameAgeS is the time since the newest frame (-1: none yet).
	LastFrameAgeS float64  `json:"last_frame_age_s"`
	Viewers       int      `json:"viewers"`
	StreamFPS     float64  `json:"stream_fps"`
	JPEGEncoded   uint64   `json:"jpeg_encoded"`
	CaptureLabels []string `json:"capture_labels,omitempty"`
}

// Status returns the current figures.
func (s *Server) Status() Status {
	now := time.Now()
	st := Status{
		Model: s.cfg.Model, Camera: s.cfg.Camera, Labels: s.cfg.Labels, LastFrameAgeS: -1,
		Viewers: s.Viewers(), StreamFPS: s.cfg.StreamFPS, JPEGEncoded: s.Encoded(),
	}
	if s.cfg.Capture != nil {
		st.CaptureLabels = s.cfg.CaptureLabels
	}
	if st.Labels == nil {
		st.Labels = []string{}
	}
	if s.cfg.Dropped != nil {
		st.Dropped = s.cfg.Dropped()
	}
	var lats [ringSize]time.Duration
	var oldest, newest time.Time
	inWindow := 0
	s.mu.Lock()
	st.UptimeS = now.Sub(s.start).Seconds()
	st.Frames, st.Class, st.Label, st.Probability = s.frames, s.class, s.label, s.prob
	st.Probabilities = slices.Clone(s.probs)
	n := int(min(s.frames, ringSize))
	copy(lats[:], s.lats[:n])
	if s.frames > 0 {
		st.LastFrameAgeS = now.Sub(s.lastFrame).Seconds()
		for k := 0; k < n; k++ { // newest first
			t := s.times[(s.frames-1-uint64(k))%ringSize]
			if now.Sub(t) > fpsWindow {
				break
			}
			if k == 0 {
				newest = t
			}
			oldest = t
			inWindow++
		}
	}
	s.mu.Unlock()
	if inWindow >= 2 && newest.After(oldest) {
		st.FPS = float64(inWindow-1) / newest.Sub(oldest).Seconds()
	}
	if n > 0 {
		l := lats[:n]
		slices.Sort(l)
		st.LatencyMedianMS = ms(quantile(l, 0.5))
		st.LatencyP99MS = ms(quantile(l, 0.99))
	}
	return st
}

// quantile is the nearest-rank quantile q of sorted (not empty).
func quantile(sorted []time.Duration, q float64) time.Duration {
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(k, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// appendMetrics appends st in Prometheus's text exposition format.
func appendMetrics(b []byte, st Status) []byte {
	metric := func(name, typ, help string) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+typ+"\n"...)
	}
	value := func(name, labels string, v float64) {
		b = append(b, name...)
		b = append(b, labels...)
		b = append(b, ' ')
		if v != math.Trunc(v) {
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 9, 64), 64) // no 0.0022897409999999997
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		b = append(b, '\n')
	}
	metric("edgecnn_info", "gauge", "What runs: model file and camera.")
	value("edgecnn_info", `{model="`+escapeLabel(st.Model)+`",camera="`+escapeLabel(st.Camera)+`"}`, 1)
	metric("edgecnn_frames_total", "counter", "Camera frames seen (classified, when there is a model).")
	value("edgecnn_frames_total", "", float64(st.Frames))
	metric("edgecnn_frames_dropped_total", "counter", "Camera frames replaced by a newer one before they were classified.")
	value("edgecnn_frames_dropped_total", "", float64(st.Dropped))
	metric("edgecnn_fps", "gauge", "Frames per second over the last five seconds.")
	value("edgecnn_fps", "", st.FPS)
	metric("edgecnn_latency_seconds", "gauge", "Inference latency quantiles over the last 512 frames.")
	value("edgecnn_latency_seconds", `{quantile="0.5"}`, st.LatencyMedianMS/1000)
	value("edgecnn_latency_seconds", `{quantile="0.99"}`, st.LatencyP99MS/1000)
	if len(st.Labels) > 0 {
		metric("edgecnn_class_probability", "gauge", "Probability of each class in the newest frame.")
		for i, l := range st.Labels {
			value("edgecnn_class_probability", `{class="`+escapeLabel(l)+`"}`, float64(st.Probabilities[i]))
		}
	}
	metric("edgecnn_last_frame_age_seconds", "gauge", "Time since the newest frame (-1: none yet).")
	value("edgecnn_last_frame_age_seconds", "", st.LastFrameAgeS)
	metric("edgecnn_uptime_seconds", "gauge", "Time since the page started.")
	value("edgecnn_uptime_seconds", "", st.UptimeS)
	metric("edgecnn_stream_viewers", "gauge", "Open MJPEG streams.")
	value("edgecnn_stream_viewers", "", float64(st.Viewers))
	metric("edgecnn_stream_jpeg_encoded_total", "counter", "Frames encoded as JPEG for the MJPEG stream.")
	value("edgecnn_stream_jpeg_encoded_total", "", float64(st.JPEGEncoded))
	return b
}

// escapeLabel escapes a Prometheus label value: backslash, double quote
// and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
