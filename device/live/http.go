package live

import (
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

//go:embed page.html
var page []byte

// boundary separates the MJPEG stream's parts.
const boundary = "edgecnnframe"

// Handler returns the page's routes: / (the page), /stream.mjpg,
// /api/status, /metrics, /healthz and, with a Capture function,
// POST /api/capture. All but /healthz need the configured basic auth.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /stream.mjpg", s.serveStream)
	mux.HandleFunc("GET /api/status", s.serveStatus)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	if s.cfg.Capture != nil {
		mux.HandleFunc("POST /api/capture", s.serveCapture)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
			s.serveHealth(w)
			return
		}
		if s.cfg.User != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="edgecnn", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authorized compares the request's credentials with the configured ones
// in constant time (through their hashes, so the lengths leak nothing).
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	match := subtle.ConstantTimeCompare(u[:], s.userHash[:]) & subtle.ConstantTimeCompare(p[:], s.passHash[:])
	return ok && match == 1
}

func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(page)
}

func (s *Server) serveStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s.Status())
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(appendMetrics(nil, s.Status()))
}

// serveHealth answers 200 while frames arrive and 503 once none came for
// StaleAfter (or none at all that long after the start).
func (s *Server) serveHealth(w http.ResponseWriter) {
	s.mu.Lock()
	last := s.lastFrame
	s.mu.Unlock()
	if last.IsZero() {
		last = s.start
	}
	if age := time.Since(last); age > s.cfg.StaleAfter {
		http.Error(w, fmt.Sprintf("no camera frame for %.1fs", age.Seconds()), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// serveStream sends the newest frames as multipart/x-mixed-replace JPEGs,
// at most StreamFPS a second, until the client leaves or the server closes.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	wake := s.addViewer()
	defer s.removeViewer(wake)
	var (
		buf  []byte
		last uint64
		head []byte
	)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		}
		b, id, ok, err := s.frameJPEG(buf, last)
		if err != nil {
			return
		}
		if !ok {
			continue
		}
		buf, last = b, id
		head = append(head[:0], "--"+boundary+"\r\nContent-Type: image/jpeg\r\nContent-Length: "...)
		head = strconv.AppendInt(head, int64(len(b)), 10)
		head = append(head, "\r\n\r\n"...)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) // a stuck viewer is dropped
		if _, err := w.Write(head); err != nil {
			return
		}
		if _, err := w.Write(b); err != nil {
			return
		}
		if _, err := w.Write([]byte("\r\n")); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// serveCapture saves the newest frame under the posted label. It takes JSON
// ({"label": "Truck"}) so that a plain cross-site form cannot trigger it.
func (s *Server) serveCapture(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Label string `json:"label"`
	}
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want a JSON body (Content-Type: application/json)", http.StatusUnsupportedMediaType)
		return
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
		return
	}
	known := false
	for _, l := range s.cfg.CaptureLabels {
		known = known || l == req.Label
	}
	if !known {
		http.Error(w, fmt.Sprintf("unknown label %q", req.Label), http.StatusBadRequest)
		return
	}
	file, err := s.cfg.Capture(req.Label)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrUnavailable) {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"file": file})
}

// ErrUnavailable is what a Capture function returns (wrapped) when it cannot
// save right now, for example before the first frame; the page gets a 503.
var ErrUnavailable = errors.New("unavailable")
