package device

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// producerCommand is a cmd: line that re-runs this test binary as a frame
// producer of the given kind.
func producerCommand(t *testing.T, kind string) string {
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); err != nil {
		// For example a cross-built binary run under qemu-user: the shell
		// cannot start it again without the emulator.
		t.Skipf("the test binary cannot be re-executed: %v", err)
	}
	t.Setenv("EDGECNN_TEST_PRODUCER", kind)
	return os.Args[0] + " -test.run=^$"
}

func TestCommandMJPEGFramesMatch(t *testing.T) {
	cam, err := Open("cmd:"+producerCommand(t, "mjpeg"), CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	require.False(t, IsBounded(cam), "a command is a live camera")
	var f Frame
	for i := 0; i < producerFrames; i++ {
		require.NoError(t, cam.Read(&f), "frame %d", i)
		img, err := jpeg.Decode(bytes.NewReader(producerJPEG(i)))
		require.NoError(t, err)
		requireFrameMatches(t, img, &f, 0)
		// and close to the image before JPEG compression
		src := producerImage(i)
		var sum int
		for p := 0; p < len(f.Pix)/3; p++ {
			for k := 0; k < 3; k++ {
				d := int(f.Pix[p*3+k]) - int(src.Pix[p*4+k])
				sum += max(d, -d)
			}
		}
		require.Less(t, float64(sum)/float64(len(f.Pix)), 4.0, "mean abs diff to the source image")
	}
	err = cam.Read(&f)
	require.ErrorContains(t, err, "command exited")
}

func TestCommandRawI420(t *testing.T) {
	cam, err := Open("cmd:"+producerCommand(t, "i420"), CameraOptions{Format: FormatYUV420, Width: producerW, Height: producerH})
	require.NoError(t, err)
	defer cam.Close()
	var f, want Frame
	for i := 0; i < producerFrames; i++ {
		require.NoError(t, cam.Read(&f))
		i420ToFrame(&want, producerI420(i, producerW, producerH), producerW, producerH)
		require.Equal(t, want.Pix, f.Pix, "frame %d", i)
	}
	require.ErrorContains(t, cam.Read(&f), "command exited")
}

func TestCommandExitStatusIsReported(t *testing.T) {
	var stderr bytes.Buffer
	cam, err := Open("cmd:"+producerCommand(t, "fail"), CameraOptions{Stderr: &stderr})
	require.NoError(t, err)
	defer cam.Close()
	var f Frame
	err = cam.Read(&f)
	require.ErrorContains(t, err, "exit status 3")
	require.Contains(t, stderr.String(), "camera not found")
}

func TestCommandCloseStopsLongRunningCommand(t *testing.T) {
	cam, err := Open("cmd:sleep 60", CameraOptions{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		var f Frame
		done <- cam.Read(&f)
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	require.NoError(t, cam.Close())
	require.ErrorIs(t, <-done, ErrClosed)
	require.Less(t, time.Since(start), time.Second)
	require.NoError(t, cam.Close(), "Close is idempotent")
}

func TestCommandOptionErrors(t *testing.T) {
	_, err := Open("cmd:true", CameraOptions{Format: FormatYUV420})
	require.ErrorContains(t, err, "needs a frame size")
	_, err = Open("cmd:true", CameraOptions{Format: "h264"})
	require.ErrorContains(t, err, `unknown camera format "h264"`)
	_, err = Open("cmd:true", CameraOptions{Format: FormatYUYV, Width: 5, Height: 4})
	require.ErrorContains(t, err, "even width")
	_, err = Open("cmd:  ", CameraOptions{})
	require.ErrorContains(t, err, "empty command")
}

func TestCommandTruncatedRawFrame(t *testing.T) {
	cam, err := Open("cmd:head -c 100 /dev/zero", CameraOptions{Format: FormatYUYV, Width: 16, Height: 16})
	require.NoError(t, err)
	defer cam.Close()
	var f Frame
	err = cam.Read(&f)
	require.ErrorContains(t, err, "command exited")
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.True(t, strings.HasPrefix(cam.Name(), "cmd:head"))
}

func TestCommandExitErrorQuotesTheEndOfStderr(t *testing.T) {
	cam, err := Open("cmd:echo starting >&2; echo camera busy >&2; exit 3", CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	var f Frame
	require.EqualError(t, cam.Read(&f), "cmd:echo starting >&2; echo camera busy >&2; exit 3: command exited: exit status 3 (stderr: starting camera busy)")

	// Long output: only its end, marked as cut; and it still reaches Stderr.
	var stderr bytes.Buffer
	cam, err = Open("cmd:i=0; while [ $i -lt 100 ]; do echo line $i >&2; i=$((i+1)); done; exit 1", CameraOptions{Stderr: &stderr})
	require.NoError(t, err)
	defer cam.Close()
	err = cam.Read(&f)
	require.ErrorContains(t, err, "command exited: exit status 1 (stderr: ...")
	require.True(t, strings.HasSuffix(err.Error(), " line 98 line 99)"), err.Error())
	require.Less(t, len(err.Error()), len(cam.Name())+stderrTailBytes+60)
	require.True(t, strings.HasPrefix(stderr.String(), "line 0\nline 1\n"))
	require.True(t, strings.HasSuffix(stderr.String(), "line 99\n"))
}

// catClip writes frames, one after the other, to a file and returns the
// camera spec that plays it: "cmd:cat FILE".
func catClip(t *testing.T, frames ...[]byte) string {
	t.Helper()
	clip := filepath.Join(t.TempDir(), "clip.mjpeg")
	require.NoError(t, os.WriteFile(clip, bytes.Join(frames, nil), 0o644))
	return "cmd:cat " + clip
}

// afterFirstFrame opens spec, reads one frame and returns the error of the
// second Read.
func afterFirstFrame(t *testing.T, spec string) error {
	t.Helper()
	cam, err := Open(spec, CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	var f Frame
	require.NoError(t, cam.Read(&f))
	return cam.Read(&f)
}

// A command that exits with status 0 between frames has ended (a recorded
// file played to its end); with a failure status it has not.
func TestCommandCleanExitIsAnEnd(t *testing.T) {
	spec := catClip(t, producerJPEG(0))
	err := afterFirstFrame(t, spec)
	require.True(t, IsEnd(err), "got %v", err)
	require.EqualError(t, err, spec+": command exited")

	err = afterFirstFrame(t, spec+"; exit 4")
	require.False(t, IsEnd(err), "got %v", err)
	require.ErrorContains(t, err, "exit status 4")
}

// A command that never produces a frame is retried with a growing wait, and
// each retry says why: its exit status and the end of its stderr.
func TestStreamCommandWithoutFramesBacksOffAndSaysWhy(t *testing.T) {
	const spec = "cmd:echo no camera found >&2; exit 2"
	cam, err := Open(spec, CameraOptions{})
	require.NoError(t, err)
	var opens atomic.Int32
	reopen := func() (Camera, error) { opens.Add(1); return Open(spec, CameraOptions{}) }
	clk, log := newFakeClock(), &logBuffer{}
	s := NewStream(cam, StreamOptions{Reopen: reopen, Log: log, clock: clk})
	defer s.Close()
	clk.advanceArmed(t, 500*time.Millisecond)
	clk.advanceArmed(t, time.Second)
	clk.waitArmed(t, 2*time.Second)
	require.NoError(t, s.Close())
	require.Equal(t, int32(2), opens.Load())
	const why = "edgecnn: camera failed before its first frame: " + spec + ": command exited: exit status 2 (stderr: no camera found); retrying in "
	require.Equal(t, []string{why + "500ms", why + "1s", why + "2s"}, log.lines())
	require.Zero(t, s.Reopened())
}

// A command that stops sending frames is killed after StallTimeout and
// started again; it is called reopened once it sends a frame.
func TestStreamCommandStallIsReopened(t *testing.T) {
	spec := catClip(t, producerJPEG(0)) + "; exec sleep 60"
	cam, err := Open(spec, CameraOptions{})
	require.NoError(t, err)
	reopen := func() (Camera, error) { return Open(spec, CameraOptions{}) }
	clk, log := newFakeClock(), &logBuffer{}
	s := NewStream(cam, StreamOptions{Reopen: reopen, StallTimeout: 5 * time.Second, Log: log, clock: clk})
	defer s.Close()
	f, err := s.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(0), f.Seq)
	clk.advanceArmed(t, 5*time.Second)
	clk.advanceArmed(t, 500*time.Millisecond)
	f, err = s.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(1), f.Seq)
	require.Equal(t, []string{
		"edgecnn: camera lost: " + spec + ": no frame for 5s; reopening in 500ms",
		"edgecnn: camera " + spec + " reopened",
	}, log.lines())
	require.Equal(t, uint64(1), s.Reopened())
}

// With NoDrop a command playing a recorded MJPEG file gives every frame in
// order, however slow the consumer, and its end ends the stream.
func TestStreamNoDropPlaysACommandToItsEnd(t *testing.T) {
	var frames [][]byte
	for i := 0; i < producerFrames; i++ {
		frames = append(frames, producerJPEG(i))
	}
	spec := catClip(t, frames...)
	cam, err := Open(spec, CameraOptions{})
	require.NoError(t, err)
	var opens atomic.Int32
	reopen := func() (Camera, error) { opens.Add(1); return Open(spec, CameraOptions{}) }
	s := NewStream(cam, StreamOptions{Reopen: reopen, NoDrop: true})
	defer s.Close()
	for i := 0; i < producerFrames; i++ {
		f, err := s.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, uint64(i), f.Seq)
		img, err := jpeg.Decode(bytes.NewReader(producerJPEG(i)))
		require.NoError(t, err)
		requireFrameMatches(t, img, f, 0)
	}
	_, err = s.Next(context.Background())
	require.True(t, IsEnd(err), "got %v", err)
	require.Zero(t, s.Dropped())
	require.Zero(t, opens.Load(), "the end of a recording is not a lost camera")
}
