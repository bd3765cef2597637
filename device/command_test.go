package device

import (
	"bytes"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"strings"
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
