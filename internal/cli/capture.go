package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/capture"
	"github.com/edgecnn/edgecnn/device/live"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
)

// captureOptions are the flags of edgecnn capture.
type captureOptions struct {
	camera        string
	cameraFormat  string
	cameraSize    string
	out           string
	labels        []string
	model         string
	imageSize     int
	interpolation string
	quality       int
	quota         string
	button        string
	every         time.Duration
	count         int
	http          httpOptions
}

// NewCaptureCmd builds the capture command (fresh flags each time).
func NewCaptureCmd() *cobra.Command {
	var o captureOptions
	c := &cobra.Command{
		Use:   "capture --camera SPEC --out DIR --label CLASS",
		Short: "Save camera frames as training images, class by class",
		Long: `capture saves frames from a camera into DIR/<label>/ as JPEG images, resized
exactly as the model's input will be (the size and interpolation of --model,
or --image-size and --interpolation), so the training images are what the
model sees on the device. Files are written atomically and never replace an
existing file; --quota caps what DIR holds.

A frame is saved:
  on Enter         each line read from standard input; an empty line saves
                   under the first --label, a word saves under that word
  --button PIN     on each press of a push button between PIN and ground
  --every 2s       at that interval, under the first --label
  from the page    with --http, a button per --label on the live page

The run ends on SIGINT or SIGTERM, after --count images, or at the end of a
folder or video source.`,
		Example: `  edgecnn capture --camera /dev/video0 --out photos --label Truck --image-size 128
  edgecnn capture --camera 'cmd:rpicam-vid -t 0 --codec mjpeg -o -' --out photos --label Car --label Truck --model model.q8.ecnn --http :8080
  edgecnn capture --camera 0 --out photos --label Empty --every 2s --count 100 --model model.q8.ecnn
  edgecnn capture --camera /dev/video0 --out photos --label Truck --button GPIO27 --image-size 128`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCapture(cmd.Context(), o, cmd.InOrStdin(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	registerCameraFlags(f, &o.camera, &o.cameraFormat, &o.cameraSize)
	f.StringVar(&o.out, "out", "", "folder of class folders to save into")
	f.StringArrayVar(&o.labels, "label", nil, "class to save under (repeatable; the first is the default)")
	f.StringVar(&o.model, "model", "", "take the image size and interpolation from this model (and its classes for the page)")
	f.IntVar(&o.imageSize, "image-size", 0, "save images of N x N pixels (without --model)")
	f.StringVar(&o.interpolation, "interpolation", preprocess.Bilinear, "resize method without --model: bilinear or nearest")
	f.IntVar(&o.quality, "quality", 95, "JPEG quality, 1 to 100")
	f.StringVar(&o.quota, "quota", "0", "most bytes DIR may hold, files already there included, e.g. 2GiB (0: no limit)")
	f.StringVar(&o.button, "button", "", "GPIO pin of a push button that saves a frame, e.g. GPIO27")
	f.DurationVar(&o.every, "every", 0, "save a frame at this interval (0: never)")
	f.IntVar(&o.count, "count", 0, "stop after saving this many images (0: no limit)")
	o.http.register(f)
	c.MarkFlagRequired("camera")
	c.MarkFlagRequired("out")
	c.MarkFlagRequired("label")
	return c
}

// saverOptions resolves the image size, interpolation and quota.
func (o captureOptions) saverOptions() (capture.Options, []string, error) {
	opt := capture.Options{Dir: o.out, Quality: o.quality}
	var modelLabels []string
	switch {
	case o.model != "" && o.imageSize != 0:
		return opt, nil, errors.New("--model and --image-size: give one (the model knows its input size)")
	case o.model != "":
		m, err := model.Load(o.model)
		if err != nil {
			return opt, nil, err
		}
		opt.Width, opt.Height, opt.Interpolation = m.Input.Width, m.Input.Height, m.Input.Interpolation
		modelLabels = m.Labels
	case o.imageSize > 0:
		opt.Width, opt.Height, opt.Interpolation = o.imageSize, o.imageSize, o.interpolation
	default:
		return opt, nil, fmt.Errorf("--image-size %d: give --model, or --image-size N (the size the model will be trained at)", o.imageSize)
	}
	quota, err := parseBytes(o.quota)
	if err != nil {
		return opt, nil, fmt.Errorf("--quota: %w", err)
	}
	opt.Quota = quota
	return opt, modelLabels, nil
}

// runCapture sets up the saver, the camera, the triggers and the page, and
// saves frames until stopped.
func runCapture(ctx context.Context, o captureOptions, stdin io.Reader, errw io.Writer) error {
	errw = &lockedWriter{w: errw}
	if o.every < 0 || o.count < 0 {
		return errors.New("--every and --count must not be negative")
	}
	for _, l := range o.labels {
		if err := capture.CheckLabel(l); err != nil {
			return fmt.Errorf("--label: %w", err)
		}
	}
	sopt, modelLabels, err := o.saverOptions()
	if err != nil {
		return err
	}
	saver, err := capture.NewSaver(sopt)
	if err != nil {
		return err
	}
	labels := slices.Clone(o.labels)
	for _, l := range modelLabels {
		if !slices.Contains(labels, l) && capture.CheckLabel(l) == nil {
			labels = append(labels, l)
		}
	}
	camOpt, err := cameraOptions(runOptions{cameraFormat: o.cameraFormat, cameraSize: o.cameraSize}, errw)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	requests := make(chan capture.Request, 16)
	if o.button != "" {
		if err := watchButton(ctx, o.button, labels[0], requests, errw); err != nil {
			return err
		}
	}
	stream, camName, err := openStream(o.camera, camOpt, device.StreamOptions{Log: errw})
	if err != nil {
		return err
	}
	defer stream.Close()

	page, err := o.http.start(live.Config{Camera: camName, Dropped: stream.Dropped, CaptureLabels: labels,
		Capture: pageCapture(ctx, requests)}, errw)
	if err != nil {
		return err
	}
	loop := &capture.Loop{Source: stream, Saver: saver, Requests: requests, Log: errw, Limit: o.count}
	if page != nil {
		defer page.Close()
		loop.Observer = page
	}
	go capture.ReadKeys(ctx, stdin, labels[0], requests)
	if o.every > 0 {
		go capture.Every(ctx, o.every, labels[0], requests)
	}
	fmt.Fprintf(errw, "edgecnn: saving %dx%d images from %s into %s/<label>/: press Enter to save under %s, or type a label and Enter\n",
		sopt.Width, sopt.Height, camName, sopt.Dir, labels[0])
	saved, err := loop.Run(ctx)
	fmt.Fprintf(errw, "edgecnn: saved %d images; %s holds %.1f MiB\n", saved, sopt.Dir, float64(saver.Used())/(1<<20))
	return err
}

// pageCapture asks the capture loop to save the next frame for the live
// page's buttons and waits for the result.
func pageCapture(ctx context.Context, requests chan<- capture.Request) func(string) (string, error) {
	return func(label string) (string, error) {
		reply := make(chan capture.Result, 1)
		select {
		case requests <- capture.Request{Label: label, Reply: reply}:
		case <-ctx.Done():
			return "", fmt.Errorf("capture stopped: %w", live.ErrUnavailable)
		}
		select {
		case r := <-reply:
			return r.Path, r.Err
		case <-time.After(5 * time.Second):
			return "", fmt.Errorf("no camera frame within 5s: %w", live.ErrUnavailable)
		case <-ctx.Done():
			return "", fmt.Errorf("capture stopped: %w", live.ErrUnavailable)
		}
	}
}

// watchButton starts watching the --button pin.
func watchButton(ctx context.Context, name, label string, requests chan<- capture.Request, errw io.Writer) error {
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("--button: gpio: %w", err)
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return fmt.Errorf("--button %s: no GPIO pin %q on this machine (%d pins known; names look like GPIO27)", name, name, len(gpioreg.All()))
	}
	go func() {
		if err := capture.WatchButton(ctx, p, label, requests); err != nil {
			fmt.Fprintf(errw, "edgecnn: %v\n", err)
		}
	}()
	return nil
}
