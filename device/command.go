package device

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// frameDecoder turns a byte stream into frames.
type frameDecoder interface {
	readFrame(f *Frame) error
}

// commandCamera runs a shell command and reads frames from its stdout.
type commandCamera struct {
	line   string
	cmd    *exec.Cmd
	stdout io.ReadCloser
	dec    frameDecoder
	stderr *tailWriter

	waitOnce sync.Once
	waitErr  error
	mu       sync.Mutex // guards closed
	closed   bool
}

// killGrace is how long Close waits after SIGTERM before SIGKILL.
const killGrace = 2 * time.Second

// OpenCommand starts line with /bin/sh -c and reads frames from its standard
// output: MJPEG (concatenated JPEG images) by default, or raw yuv420 (I420)
// or yuyv frames of opt.Width x opt.Height. The command runs in its own
// process group, which Close terminates. When its output ends, Read says how
// it exited, with the end of its standard error; an exit with status 0
// between frames is an end (IsEnd), as of a recorded file played to the end.
func OpenCommand(line string, opt CameraOptions) (Camera, error) {
	c := &commandCamera{line: line}
	name := c.Name()
	format := opt.Format
	if format == "" {
		format = FormatMJPEG
	}
	switch format {
	case FormatMJPEG:
	case FormatYUV420, FormatYUYV:
		if opt.Width <= 0 || opt.Height <= 0 {
			return nil, fmt.Errorf("%s: format %s needs a frame size (--camera-size WxH)", name, format)
		}
		if format == FormatYUYV && opt.Width%2 != 0 {
			return nil, fmt.Errorf("%s: yuyv needs an even width, got %d", name, opt.Width)
		}
		if err := imagefile.CheckSize(opt.Width, opt.Height); err != nil {
			return nil, fmt.Errorf("%s: frame size %w", name, err)
		}
	default:
		return nil, fmt.Errorf("%s: unknown camera format %q (want mjpeg, yuv420 or yuyv)", name, format)
	}
	c.cmd = exec.Command("/bin/sh", "-c", line)
	c.stderr = &tailWriter{w: opt.Stderr}
	c.cmd.Stderr = c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.cmd.WaitDelay = killGrace // a child left holding stderr open cannot block Wait
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.stdout = out
	switch format {
	case FormatMJPEG:
		c.dec = newMJPEGDecoder(out)
	default:
		c.dec = newRawDecoder(out, format, opt.Width, opt.Height)
	}
	return c, nil
}

func (c *commandCamera) Name() string { return "cmd:" + c.line }

// Read reads the next frame. When the command's output ends, Read reports
// how the command exited.
func (c *commandCamera) Read(f *Frame) error {
	err := c.dec.readFrame(f)
	if err == nil {
		f.Time = time.Now()
		return nil
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		werr := c.wait()
		tail := c.stderr.tail()
		if werr != nil {
			return fmt.Errorf("%s: command exited: %w%s", c.Name(), werr, tail)
		}
		if err == io.EOF {
			return endError(fmt.Sprintf("%s: command exited%s", c.Name(), tail))
		}
		return fmt.Errorf("%s: command exited in the middle of a frame: %w%s", c.Name(), err, tail)
	}
	return fmt.Errorf("%s: %w", c.Name(), err)
}

// endError is the clean end of a command's output; it matches io.EOF.
type endError string

func (e endError) Error() string { return string(e) }
func (e endError) Unwrap() error { return io.EOF }

// stderrTailBytes is how much of a command's standard error its exit error
// quotes.
const stderrTailBytes = 240

// tailWriter passes a command's standard error on to w (when not nil) and
// keeps its last stderrTailBytes bytes.
type tailWriter struct {
	w   io.Writer
	mu  sync.Mutex
	buf []byte
	cut bool // bytes before buf were dropped
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf) - stderrTailBytes; n > 0 {
		t.buf = append(t.buf[:0], t.buf[n:]...)
		t.cut = true
	}
	t.mu.Unlock()
	if t.w != nil {
		t.w.Write(p) // a failing log must not stop the command
	}
	return len(p), nil
}

// tail formats the end of the standard error for an error message: empty
// when there was none, else ` (stderr: ...)` on one line.
func (t *tailWriter) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(t.buf), "?")), " ")
	if s == "" {
		return ""
	}
	if t.cut {
		s = "..." + s
	}
	return " (stderr: " + s + ")"
}

// wait reaps the command once and returns its exit error.
func (c *commandCamera) wait() error {
	c.waitOnce.Do(func() { c.waitErr = c.cmd.Wait() })
	return c.waitErr
}

// Close terminates the command's process group (SIGTERM, then SIGKILL after
// a grace period) and reaps it.
func (c *commandCamera) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(killGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// rawDecoder reads fixed-size raw YUV frames.
type rawDecoder struct {
	r      io.Reader
	format string
	w, h   int
	buf    []byte
}

func newRawDecoder(r io.Reader, format string, w, h int) *rawDecoder {
	n := yuyvSize(w, h)
	if format == FormatYUV420 {
		n = i420Size(w, h)
	}
	return &rawDecoder{r: r, format: format, w: w, h: h, buf: make([]byte, n)}
}

func (d *rawDecoder) readFrame(f *Frame) error {
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return err
	}
	if d.format == FormatYUV420 {
		i420ToFrame(f, d.buf, d.w, d.h)
	} else {
		yuyvToFrame(f, d.buf, d.w, d.h, 2*d.w)
	}
	return nil
}
