package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/device/capture"
	"github.com/edgecnn/edgecnn/device/live"
	"github.com/edgecnn/edgecnn/device/runloop"
	"github.com/edgecnn/edgecnn/infer"
)

// httpOptions are the live page's flags, shared by run and capture.
type httpOptions struct {
	addr         string
	fps          float64
	user         string
	passwordFile string
	public       bool
}

func (h *httpOptions) register(f *pflag.FlagSet) {
	f.StringVar(&h.addr, "http", "", "serve the live page on [HOST]:PORT, e.g. :8080 (localhost only without --http-user)")
	f.Float64Var(&h.fps, "http-fps", 5, "frames per second of the page's video at most (encoded only while someone watches)")
	f.StringVar(&h.user, "http-user", "", "user name of the page's basic authentication (with --http-password-file)")
	f.StringVar(&h.passwordFile, "http-password-file", "", "file holding the page's password (first line)")
	f.BoolVar(&h.public, "http-public", false, "let the page listen beyond localhost without a password")
}

// start serves the live page when --http is given (nil otherwise).
func (h *httpOptions) start(cfg live.Config, errw io.Writer) (*live.Server, error) {
	if h.addr == "" {
		if h.user != "" || h.passwordFile != "" || h.public {
			return nil, errors.New("--http-user, --http-password-file and --http-public need --http")
		}
		return nil, nil
	}
	if h.fps <= 0 {
		return nil, fmt.Errorf("--http-fps %g: must be positive", h.fps)
	}
	if (h.user == "") != (h.passwordFile == "") {
		return nil, errors.New("--http-user and --http-password-file go together")
	}
	if h.passwordFile != "" {
		b, err := os.ReadFile(h.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--http-password-file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		if pw = strings.TrimRight(pw, "\r"); pw == "" {
			return nil, fmt.Errorf("--http-password-file %s: the first line is empty", h.passwordFile)
		}
		cfg.User, cfg.Password = h.user, pw
	}
	addr, err := live.BindAddress(h.addr, h.user != "", h.public)
	if err != nil {
		return nil, err
	}
	cfg.StreamFPS = h.fps
	s, err := live.New(cfg)
	if err != nil {
		return nil, err
	}
	bound, err := s.Start(addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(errw, "edgecnn: live page on http://%s/\n", bound)
	return s, nil
}

// uncertainOptions are run's flags for saving the frames the model was
// unsure of.
type uncertainOptions struct {
	dir   string
	below float64
	every time.Duration
	quota string
}

func (u *uncertainOptions) register(f *pflag.FlagSet) {
	f.StringVar(&u.dir, "save-uncertain", "", "save frames whose top probability is under --below into DIR/<predicted label>/ (model input size, JPEG)")
	f.Float64Var(&u.below, "below", 0.7, "probability under which --save-uncertain saves a frame")
	f.DurationVar(&u.every, "save-every", time.Second, "least time between two frames saved by --save-uncertain")
	f.StringVar(&u.quota, "save-quota", "500MiB", "most bytes the --save-uncertain folder may hold, files already there included (0: no limit)")
}

// runHooks are the run loop's observers and what stops them.
type runHooks struct {
	observers []runloop.Observer
	closers   []func()
}

func (h *runHooks) close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
}

// startRunHooks starts the live page and the saver of uncertain frames that
// the flags ask for.
func startRunHooks(o runOptions, rt *infer.Runtime, camera string, dropped func() uint64, errw io.Writer) (*runHooks, error) {
	h := &runHooks{}
	page, err := o.http.start(live.Config{Labels: rt.Labels(), Model: o.model, Camera: camera, Dropped: dropped}, errw)
	if err != nil {
		return nil, err
	}
	if page != nil {
		h.observers = append(h.observers, page)
		h.closers = append(h.closers, func() { page.Close() })
	}
	if o.uncertain.dir != "" {
		u, err := o.uncertain.start(rt, errw)
		if err != nil {
			h.close()
			return nil, err
		}
		h.observers = append(h.observers, u)
		h.closers = append(h.closers, u.Close)
	}
	return h, nil
}

func (u *uncertainOptions) start(rt *infer.Runtime, errw io.Writer) (*capture.Uncertain, error) {
	quota, err := parseBytes(u.quota)
	if err != nil {
		return nil, fmt.Errorf("--save-quota: %w", err)
	}
	in := rt.Model().Input
	saver, err := capture.NewSaver(capture.Options{Dir: u.dir, Width: in.Width, Height: in.Height,
		Interpolation: in.Interpolation, Quota: quota})
	if err != nil {
		return nil, fmt.Errorf("--save-uncertain: %w", err)
	}
	un, err := capture.NewUncertain(saver, capture.UncertainOptions{Below: float32(u.below), Every: u.every, Log: errw})
	if err != nil {
		return nil, fmt.Errorf("--below/--save-every: %w", err)
	}
	return un, nil
}

// parseBytes reads a size such as 500MiB, 2G, 100k or 4096 (the units are
// powers of 1024 with or without "iB"/"B").
func parseBytes(s string) (int64, error) {
	num := strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "ib")
	mult := int64(1)
	if n := len(num); n > 0 {
		if k := strings.IndexByte("kmgt", num[n-1]); k >= 0 {
			mult = int64(1) << (10 * (k + 1))
			num = num[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q: want a size such as 500MiB, 2GiB or 0", s)
	}
	return int64(v * float64(mult)), nil
}
