package live

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var page []byte

// boundary separates the MJPEG stream's parts.
const boundary = "edgecnnframe"

// handle routes a request: / (the page), /stream.mjpg, /api/status,
// /metrics, /healthz and, with a Capture function, POST /api/capture. All
// but /healthz need the configured basic auth.
func (s *Server) handle(w *response, r *request) {
	if r.path == "/healthz" && r.method == "GET" {
		s.serveHealth(w)
		return
	}
	if s.cfg.User != "" && !s.authorized(r) {
		w.fail(401, "authentication required", "WWW-Authenticate", `Basic realm="edgecnn", charset="UTF-8"`)
		return
	}
	want, serve := "GET", func() {}
	switch r.path {
	case "/":
		serve = func() { w.reply(200, "text/html; charset=utf-8", page) }
	case "/stream.mjpg":
		serve = func() { s.serveStream(w, r) }
	case "/api/status":
		serve = func() {
			b, _ := json.Marshal(s.Status())
			w.reply(200, "application/json", b)
		}
	case "/metrics":
		serve = func() { w.reply(200, "text/plain; version=0.0.4; charset=utf-8", appendMetrics(nil, s.Status())) }
	case "/api/capture":
		if s.cfg.Capture == nil {
			serve = nil
			break
		}
		want, serve = "POST", func() { s.serveCapture(w, r) }
	default:
		serve = nil
	}
	switch {
	case serve == nil:
		w.fail(404, "not found")
	case r.method != want:
		w.fail(405, "use "+want, "Allow", want)
	default:
		serve()
	}
}

// authorized compares the request's credentials with the configured ones
// in constant time (through their hashes, so the lengths leak nothing).
func (s *Server) authorized(r *request) bool {
	user, pass, ok := basicAuth(r.header.Get("Authorization"))
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	match := subtle.ConstantTimeCompare(u[:], s.userHash[:]) & subtle.ConstantTimeCompare(p[:], s.passHash[:])
	return ok && match == 1
}

// basicAuth parses an Authorization header of the Basic scheme.
func basicAuth(h string) (user, pass string, ok bool) {
	scheme, enc, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	if !ok {
		return "", "", false
	}
	return user, pass, true
}

// serveHealth answers 200 while frames arrive and 503 once none came for
// StaleAfter (or none at all that long after the start).
func (s *Server) serveHealth(w *response) {
	s.mu.Lock()
	last := s.lastFrame
	if last.IsZero() {
		last = s.start
	}
	s.mu.Unlock()
	if age := time.Since(last); age > s.cfg.StaleAfter {
		w.fail(503, fmt.Sprintf("no camera frame for %.1fs", age.Seconds()))
		return
	}
	w.reply(200, "text/plain; charset=utf-8", []byte("ok\n"))
}

// serveStream sends the newest frames as multipart/x-mixed-replace JPEGs,
// at most StreamFPS a second, until the client leaves or the server closes.
func (s *Server) serveStream(w *response, r *request) {
	w.start(200, "multipart/x-mixed-replace; boundary="+boundary)
	if w.flush() != nil {
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
		case <-r.ctx.Done():
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
		w.Write(head)
		w.Write(b)
		w.Write([]byte("\r\n"))
		if w.flush() != nil {
			return
		}
	}
}

// serveCapture saves the newest frame under the posted label. It takes JSON
// ({"label": "Truck"}) so that a plain cross-site form cannot trigger it.
func (s *Server) serveCapture(w *response, r *request) {
	var req struct {
		Label string `json:"label"`
	}
	if ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != "application/json" {
		w.fail(415, "want a JSON body (Content-Type: application/json)")
		return
	}
	if err := json.NewDecoder(bytes.NewReader(r.body)).Decode(&req); err != nil {
		w.fail(400, "bad JSON body: "+err.Error())
		return
	}
	known := false
	for _, l := range s.cfg.CaptureLabels {
		known = known || l == req.Label
	}
	if !known {
		w.fail(400, fmt.Sprintf("unknown label %q", req.Label))
		return
	}
	file, err := s.cfg.Capture(req.Label)
	if err != nil {
		code := 500
		if errors.Is(err, ErrUnavailable) {
			code = 503
		}
		w.fail(code, err.Error())
		return
	}
	b, _ := json.Marshal(map[string]string{"file": file})
	w.reply(200, "application/json", b)
}

// ErrUnavailable is what a Capture function returns (wrapped) when it cannot
// save right now, for example before the first frame; the page gets a 503.
var ErrUnavailable = errors.New("unavailable")
