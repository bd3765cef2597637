package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/pinout"
	"github.com/edgecnn/edgecnn/device/runloop"
	"github.com/edgecnn/edgecnn/infer"
)

// runOptions are the flags of edgecnn run.
type runOptions struct {
	model        string
	camera       string
	cameraFormat string
	cameraSize   string
	threads      int
	fps          float64
	frames       int
	gpio         []string
	threshold    float64
	hold         time.Duration
	summaryEvery time.Duration
	asJSON       bool
	stallTimeout time.Duration
	noDrop       bool
	mqtt         mqttFlags
	http         httpOptions
	uncertain    uncertainOptions
}

// runMemoryLimit is the Go heap's soft limit during edgecnn run, so the
// garbage collector keeps the resident set small on boards with little RAM
// (JPEG decoding allocates per frame). GOMEMLIMIT overrides it.
const runMemoryLimit = 8 << 20

// NewRunCmd is "run": classify camera frames continuously.
func NewRunCmd() *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run --model M --camera SPEC",
		Short: "Classify camera frames continuously (and drive GPIO pins)",
		Long: `run classifies the newest camera frame again and again and prints the label,
its probability and the inference latency of every frame (one JSON object per
line with --json: frame, label, probability, latency_ms, and file for folder
sources). A summary (fps, latency median and p99, dropped frames) goes to
stderr every --summary-every, and a final one with the peak RSS at exit.

--camera takes:
  0, 1, ...      a camera index (OpenCV in gocv builds, else /dev/videoN)
  /dev/videoN    a V4L2 camera, YUYV or MJPEG (--camera-format, --camera-size)
  DIR            a folder of images, in sorted order; the run ends after the last
  FILE           a video file (builds with -tags gocv only)
  cmd:COMMAND    frames from COMMAND's stdout: MJPEG, or raw yuv420/yuyv
                 with --camera-format and --camera-size
  gst:PIPELINE   a GStreamer pipeline ending in appsink (gocv builds only)

Frames are read in the background and only the newest is classified; frames
replaced before they were classified are counted as dropped. --no-drop
classifies every frame instead (for a recorded video or an MJPEG file played
by cmd:cat, which then ends the run when the command exits with status 0).
A live camera that disappears (unplugged, command exited) or delivers no
frame for --stall-timeout is reported and reopened after 0.5 s; "reopened" is
printed when it delivers a frame again. While it fails before its first frame
the wait doubles up to 8 s, and each retry says why (for a command: its exit
status and the end of its stderr). An image of a folder that cannot be read
is skipped with a warning, and the run then exits with status 1, as infer
does. --gpio PIN=CLASS drives a pin high while CLASS has a probability over
--threshold, and low once it has been absent for --hold. SIGINT and SIGTERM
stop the run cleanly.

--http :8080 serves a live page: the newest frame (MJPEG, at most --http-fps,
encoded only while someone watches), the label and a bar per class, fps,
latency, dropped frames, uptime; /api/status (JSON), /metrics (Prometheus)
and /healthz. Without --http-user and --http-password-file it listens on
localhost only, unless --http-public.

--save-uncertain DIR saves the frames whose top probability is under --below
into DIR/<predicted label>/ at the model's input size, at most one per
--save-every and within --save-quota, for relabelling and retraining.`,
		Example: `  edgecnn run --model model.q8.ecnn --camera 'cmd:rpicam-vid -t 0 --codec mjpeg --width 640 --height 480 -o -'
  edgecnn run --model model.q8.ecnn --camera 'cmd:rpicam-vid -t 0 --codec yuv420 --width 640 --height 480 -o -' --camera-format yuv420 --camera-size 640x480
  edgecnn run --model model.q8.ecnn --camera /dev/video0 --gpio GPIO17=Truck --hold 1s
  edgecnn run --model model.q8.ecnn --camera photos/valid --json --frames 100
  edgecnn run --model model.q8.ecnn --camera 'cmd:cat recording.mjpeg' --no-drop --json
  edgecnn run --model model.q8.ecnn --camera /dev/video0 --http :8080 --http-user pi --http-password-file /etc/edgecnn/password
  edgecnn run --model model.q8.ecnn --camera /dev/video0 --save-uncertain unsure --below 0.7 --save-quota 1GiB
  edgecnn run --model model.q8.ecnn --camera 'gst:libcamerasrc ! video/x-raw,width=640,height=480 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCamera(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.model, "model", "", "model file (.ecnn, int8 or float)")
	registerCameraFlags(f, &o.camera, &o.cameraFormat, &o.cameraSize)
	f.IntVar(&o.threads, "threads", 1, "inference threads (0 = all cores)")
	f.Float64Var(&o.fps, "fps", 0, "classify at most this many frames per second (0: as fast as possible)")
	f.IntVar(&o.frames, "frames", 0, "stop after this many frames (0: run until stopped or the source ends)")
	f.StringArrayVar(&o.gpio, "gpio", nil, "PIN=CLASS: drive PIN high while CLASS is seen (repeatable), e.g. GPIO17=Truck")
	f.Float64Var(&o.threshold, "threshold", 0.5, "probability over which a --gpio class counts as seen")
	f.DurationVar(&o.hold, "hold", 500*time.Millisecond, "keep a --gpio pin high this long after its class was last seen")
	f.DurationVar(&o.summaryEvery, "summary-every", 5*time.Second, "print a summary to stderr this often (0: only at the end)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object per frame")
	f.DurationVar(&o.stallTimeout, "stall-timeout", 5*time.Second, "reopen a live camera that delivers no frame for this long (0: wait forever)")
	f.BoolVar(&o.noDrop, "no-drop", false, "classify every frame, never dropping one (recorded video, MJPEG files); a cmd: source that exits with status 0 ends the run")
	o.mqtt.add(f)
	o.http.register(f)
	o.uncertain.register(f)
	c.MarkFlagRequired("model")
	c.MarkFlagRequired("camera")
	AddMaxPixelsFlag(c)
	return c
}

// runCamera sets everything up, runs the loop and tears it all down again,
// also when a step of the set-up fails.
func runCamera(ctx context.Context, o runOptions, out, errw io.Writer) (err error) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(runMemoryLimit))
	}
	errw = &lockedWriter{w: errw} // the camera reader, the command and the loop all log
	defer printPeakRSS(errw)
	if err := o.validate(); err != nil {
		return err
	}
	camOpt, err := cameraOptions(o, errw)
	if err != nil {
		return err
	}
	bindings, err := parseGPIO(o.gpio)
	if err != nil {
		return err
	}
	rt, err := infer.LoadFile(o.model, infer.Options{Threads: InferThreads(o.threads)})
	if err != nil {
		return err
	}
	defer rt.Close()
	if ch := rt.Model().Input.Channels; ch != 3 {
		return fmt.Errorf("%s: the model takes %d-channel input, camera frames are RGB (3 channels)", o.model, ch)
	}
	var classifier runloop.Classifier = runtimeClassifier{rt}
	pub, err := o.mqtt.open(rt.Model().Name, rt.Labels(), errw)
	if err != nil {
		return err
	}
	if pub != nil {
		defer pub.Close()
		classifier = publishingClassifier{classifier, pub}
	}
	var pins *pinout.Driver
	if len(bindings) > 0 {
		if pins, err = openPins(bindings, rt.Labels(), float32(o.threshold), o.hold); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, pins.Release()) }()
	}
	stream, camName, err := openStream(o.camera, camOpt, device.StreamOptions{Log: errw, StallTimeout: o.stallTimeout, NoDrop: o.noDrop})
	if err != nil {
		return err
	}
	defer stream.Close()
	w, h := rt.InputSize()
	fmt.Fprintf(errw, "edgecnn: %s on %s (%dx%d input, %s kernels, arena %d KiB)\n",
		o.model, camName, w, h, KernelName(rt.Model().DType), rt.ArenaBytes()>>10)

	hooks, err := startRunHooks(o, rt, camName, stream.Dropped, errw)
	if err != nil {
		return err
	}
	defer hooks.close()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	loop, err := runloop.New(runloop.Config{
		Source: stream, Classifier: classifier, Pins: pins, Out: out, JSON: o.asJSON, Log: errw,
		MaxFrames: o.frames, FPS: o.fps, SummaryEvery: o.summaryEvery, Observers: hooks.observers,
	})
	if err != nil {
		return err
	}
	if _, err = loop.Run(ctx); err != nil {
		return err
	}
	if n := stream.Skipped(); n > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %d of %d images could not be read (skipped)", camName, n, n+stream.Captured())}
	}
	return nil
}

// runtimeClassifier adapts infer.Runtime to the run loop.
type runtimeClassifier struct{ rt *infer.Runtime }

func (c runtimeClassifier) Classify(f *device.Frame) (runloop.Prediction, error) {
	r, err := c.rt.ClassifyRGB(f.Pix, f.Width, f.Height)
	return runloop.Prediction{Class: r.Class, Label: r.Label, Probability: r.Probability, Probabilities: r.Probabilities}, err
}

// validate checks the numeric flags.
func (o runOptions) validate() error {
	if o.fps < 0 || o.frames < 0 || o.summaryEvery < 0 || o.hold < 0 || o.stallTimeout < 0 {
		return errors.New("--fps, --frames, --summary-every, --hold and --stall-timeout must not be negative")
	}
	return nil
}

// cameraOptions turns --camera-format and --camera-size into options; a
// command camera's stderr goes to errw.
func cameraOptions(o runOptions, errw io.Writer) (device.CameraOptions, error) {
	opt := device.CameraOptions{Format: strings.ToLower(o.cameraFormat), Stderr: errw}
	if o.cameraSize != "" {
		ws, hs, ok := strings.Cut(strings.ToLower(o.cameraSize), "x")
		w, werr := strconv.Atoi(ws)
		h, herr := strconv.Atoi(hs)
		if !ok || werr != nil || herr != nil || w <= 0 || h <= 0 {
			return opt, fmt.Errorf("--camera-size %q: want WIDTHxHEIGHT, for example 640x480", o.cameraSize)
		}
		opt.Width, opt.Height = w, h
	}
	return opt, nil
}

// gpioBinding is a parsed --gpio flag.
type gpioBinding struct{ pin, class string }

func parseGPIO(specs []string) ([]gpioBinding, error) {
	var out []gpioBinding
	for _, s := range specs {
		pin, class, err := pinout.ParseSpec(s)
		if err != nil {
			return nil, err
		}
		out = append(out, gpioBinding{pin, class})
	}
	return out, nil
}

// openPins resolves pin names through periph's registry and classes through
// the model's labels.
func openPins(bs []gpioBinding, labels []string, threshold float32, hold time.Duration) (*pinout.Driver, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("gpio: %w", err)
	}
	var bindings []pinout.Binding
	for _, b := range bs {
		class := -1
		for i, l := range labels {
			if l == b.class {
				class = i
			}
		}
		if class < 0 {
			return nil, fmt.Errorf("--gpio %s=%s: the model has no class %q (classes: %s)", b.pin, b.class, b.class, strings.Join(labels, ", "))
		}
		p := gpioreg.ByName(b.pin)
		if p == nil {
			return nil, fmt.Errorf("--gpio %s=%s: no GPIO pin %q on this machine (%d pins known; names look like GPIO17)", b.pin, b.class, b.pin, len(gpioreg.All()))
		}
		bindings = append(bindings, pinout.Binding{Pin: p, Class: class, Label: b.class})
	}
	return pinout.New(bindings, threshold, hold)
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
