// Package live serves the live page of edgecnn run and capture: the newest
// camera frame as MJPEG, the label and probability with a bar per class,
// frames per second, latency median and p99, dropped frames and uptime;
// /api/status as JSON, /metrics in Prometheus's text format and /healthz.
//
// The run loop hands every classified frame to Server.Observe, which never
// blocks the loop: it updates a few numbers under a mutex and, only while
// someone watches the stream and at most at the stream's frame rate, copies
// the frame into a preallocated buffer. JPEG encoding happens in the HTTP
// handlers' goroutines, once per copied frame however many people watch, and
// not at all when nobody does.
package live

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/frameimg"
	"github.com/edgecnn/edgecnn/device/runloop"
)

// Config configures a Server. Only Labels is needed for a classifier's page.
type Config struct {
	// Labels are the model's classes, one bar each; empty for a camera
	// without a classifier (edgecnn capture without --model).
	Labels []string
	// Model and Camera name what runs, for the page and /api/status.
	Model, Camera string
	// Dropped reports the frames the camera produced that nobody
	// classified; optional.
	Dropped func() uint64
	// StreamFPS caps the MJPEG stream's frame rate (and so the JPEG
	// encoding rate); 5 when zero.
	StreamFPS float64
	// Quality is the stream's JPEG quality; 75 when zero.
	Quality int
	// User and Password, when User is set, protect every page but /healthz
	// with HTTP basic authentication.
	User, Password string
	// Capture, when set, puts a button per CaptureLabels entry on the page;
	// pressing one posts to /api/capture and Capture saves the newest frame
	// under that label, returning the file written.
	Capture       func(label string) (string, error)
	CaptureLabels []string
	// StaleAfter is how long /healthz accepts no new frame; 10 s when zero.
	StaleAfter time.Duration
}

// ringSize is how many recent frames the fps and latency figures cover.
const ringSize = 512

// Server is the live page. Create it with New, feed it with Observe, serve
// it with Start.
type Server struct {
	cfg      Config
	start    time.Time
	interval time.Duration // between copied frames: 1 / StreamFPS
	userHash [sha256.Size]byte
	passHash [sha256.Size]byte

	mu        sync.Mutex
	frames    uint64
	class     int
	label     string
	prob      float32
	probs     []float32
	lastFrame time.Time
	times     [ringSize]time.Time
	lats      [ringSize]time.Duration
	// the newest copied frame, for the stream
	pix      []byte
	w, h     int
	copied   uint64 // number of frames copied; the stream's frame id
	lastCopy time.Time
	viewers  map[chan struct{}]struct{}

	watching atomic.Int32  // len(viewers), read without the lock by Observe
	encoded  atomic.Uint64 // JPEG frames encoded for the stream

	encMu   sync.Mutex // serialises encoding and guards the fields below
	enc     *frameimg.Encoder
	encPix  []byte
	encID   uint64 // the copied frame jpeg holds
	encTime time.Time
	jpeg    []byte

	srv *httpServer
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.StreamFPS == 0 {
		cfg.StreamFPS = 5
	}
	if cfg.Quality == 0 {
		cfg.Quality = 75
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = 10 * time.Second
	}
	if cfg.StreamFPS < 0 {
		return nil, fmt.Errorf("live page: stream fps %g must be positive", cfg.StreamFPS)
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, errors.New("live page: a password needs a user name")
	}
	if cfg.Capture != nil && len(cfg.CaptureLabels) == 0 {
		return nil, errors.New("live page: capture buttons need labels")
	}
	enc, err := frameimg.NewEncoder(cfg.Quality)
	if err != nil {
		return nil, fmt.Errorf("live page: %w", err)
	}
	s := &Server{
		cfg: cfg, start: time.Now(), interval: time.Duration(float64(time.Second) / cfg.StreamFPS),
		class: -1, probs: make([]float32, len(cfg.Labels)),
		viewers: map[chan struct{}]struct{}{}, enc: enc,
	}
	if cfg.User != "" {
		s.userHash = sha256.Sum256([]byte(cfg.User))
		s.passHash = sha256.Sum256([]byte(cfg.Password))
	}
	return s, nil
}

// Observe records a classified frame (runloop.Observer). It does not block
// on viewers and allocates nothing once the frame buffer has grown to the
// frame size: while someone watches, and no more often than the stream's
// frame rate, it copies the frame for the encoder.
func (s *Server) Observe(f *device.Frame, p runloop.Prediction, latency time.Duration) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.frames % ringSize
	s.times[i], s.lats[i] = now, latency
	s.frames++
	s.lastFrame = now
	s.class, s.label, s.prob = p.Class, p.Label, p.Probability
	copy(s.probs, p.Probabilities)
	if s.watching.Load() == 0 || now.Sub(s.lastCopy) < s.interval {
		return
	}
	n := f.Width * f.Height * 3
	if cap(s.pix) < n {
		s.pix = make([]byte, n)
	}
	s.pix = s.pix[:n]
	copy(s.pix, f.Pix)
	s.w, s.h = f.Width, f.Height
	s.copied++
	s.lastCopy = now
	for ch := range s.viewers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Encoded is the number of JPEG frames encoded for the stream so far.
func (s *Server) Encoded() uint64 { return s.encoded.Load() }

// Viewers is the number of open MJPEG streams.
func (s *Server) Viewers() int { return int(s.watching.Load()) }

// addViewer registers a stream and returns its wake-up channel.
func (s *Server) addViewer() chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.viewers[ch] = struct{}{}
	s.watching.Store(int32(len(s.viewers)))
	s.mu.Unlock()
	return ch
}

func (s *Server) removeViewer(ch chan struct{}) {
	s.mu.Lock()
	delete(s.viewers, ch)
	s.watching.Store(int32(len(s.viewers)))
	s.mu.Unlock()
}

// frameJPEG appends the JPEG of the newest copied frame to dst[:0] and
// returns it with the frame's id, or ok false when there is no frame newer
// than after. A frame is encoded once, by whichever viewer asks first.
func (s *Server) frameJPEG(dst []byte, after uint64) (out []byte, id uint64, ok bool, err error) {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	s.mu.Lock()
	id, w, h := s.copied, s.w, s.h
	if id != s.encID && id > after {
		s.encPix = append(s.encPix[:0], s.pix...)
	}
	s.mu.Unlock()
	if id <= after {
		return dst, after, false, nil
	}
	if id != s.encID {
		b, err := s.enc.Encode(s.encPix, w, h)
		if err != nil {
			return dst, after, false, err
		}
		s.jpeg = append(s.jpeg[:0], b...)
		s.encID, s.encTime = id, time.Now()
		s.encoded.Add(1)
	}
	return append(dst[:0], s.jpeg...), id, true, nil
}

// BindAddress decides where the page listens. addr is host:port (":8080"
// included). Without authentication the page is only reachable from this
// machine: an empty or wildcard host becomes 127.0.0.1, and another
// non-loopback host is an error, unless public is set.
func BindAddress(addr string, auth, public bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--http %q: want [HOST]:PORT, for example :8080: %v", addr, err)
	}
	if auth || public {
		return addr, nil
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if host == "localhost" {
		return addr, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return addr, nil
	}
	return "", fmt.Errorf("--http %q: a page without a password only listens on localhost; add --http-user and --http-password-file, or --http-public", addr)
}

// Start listens on addr and serves the page in the background until Close.
// It returns the address listened on (with the port chosen for ":0").
func (s *Server) Start(addr string) (net.Addr, error) {
	if s.srv != nil {
		return nil, errors.New("live page: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live page: %w", err)
	}
	s.srv = serve(ln, s.handle)
	return ln.Addr(), nil
}

// Close stops a started server: streams end, connections close.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.close()
}
