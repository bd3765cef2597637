package cli

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// read returns what was written so far, while writers may go on.
func (l *lockedWriter) read() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(*bytes.Buffer).String()
}

// runUntil runs edgecnn run with o in the background until its stderr
// contains want, then stops it as SIGINT would, and returns the stderr.
func runUntil(t *testing.T, o runOptions, want string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errw := &lockedWriter{w: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() { done <- runCamera(ctx, o, &bytes.Buffer{}, errw) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errw.read(), want) {
		select {
		case err := <-done:
			t.Fatalf("run ended (%v) before printing %q:\n%s", err, want, errw.read())
		default:
		}
		require.True(t, time.Now().Before(deadline), "no %q in:\n%s", want, errw.read())
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	require.NoError(t, <-done, "a stop is clean")
	return errw.read()
}

func TestRunFolderSkipsUnreadableImages(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 4)
	broken := filepath.Join(dir, "a", "broken.jpg")
	require.NoError(t, os.WriteFile(broken, []byte("not a JPEG"), 0o644))
	var out, errw bytes.Buffer
	err := runCamera(context.Background(), defaultRunOptions(modelPath, dir), &out, &errw)
	require.EqualError(t, err, "folder "+dir+": 1 of 5 images could not be read (skipped)")
	require.Equal(t, 1, ExitCode(err))
	lines := parseRunLines(t, out.Bytes())
	require.Len(t, lines, 4, "the other images are all classified")
	for _, l := range lines {
		require.NotEqual(t, broken, l.File)
	}
	require.Contains(t, errw.String(), "warning: skipping "+broken+": cannot decode: not a JPEG, PNG, GIF or BMP image\n")
	require.Contains(t, errw.String(), "edgecnn: done: 4 frames")
}

// --no-drop classifies every frame of an MJPEG file played by cmd:cat,
// exactly as infer classifies the same frames as files, and the end of the
// file ends the run.
func TestRunNoDropClassifiesEveryFrameOfAnMJPEGFile(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	files, err := imagefile.List(clitest.WriteImages(t, 12))
	require.NoError(t, err)
	dir := t.TempDir()
	var clip bytes.Buffer
	var frames []string
	for i, f := range files {
		img, err := imagefile.Decode(f)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}))
		clip.Write(b.Bytes())
		frame := filepath.Join(dir, "frame"+string(rune('a'+i))+".jpg")
		require.NoError(t, os.WriteFile(frame, b.Bytes(), 0o644))
		frames = append(frames, frame)
	}
	clipPath := filepath.Join(dir, "clip.mjpeg")
	require.NoError(t, os.WriteFile(clipPath, clip.Bytes(), 0o644))

	o := defaultRunOptions(modelPath, "cmd:cat "+clipPath)
	o.noDrop = true
	var out, errw bytes.Buffer
	require.NoError(t, runCamera(context.Background(), o, &out, &errw))
	got := parseRunLines(t, out.Bytes())
	want := inferLines(t, modelPath, frames)
	require.Len(t, got, len(frames))
	for i := range want {
		require.Equal(t, uint64(i), *got[i].Frame)
		require.Equal(t, want[i].Label, got[i].Label, "frame %d", i)
		require.Equal(t, want[i].Probability, *got[i].Probability, "frame %d", i)
	}
	require.Contains(t, errw.String(), "edgecnn: done: 12 frames")
	require.Contains(t, errw.String(), "0 dropped")
	require.NotContains(t, errw.String(), "camera lost")
}

// A command that never sends a frame is stopped after --stall-timeout,
// reported, and retried; it is never called reopened.
func TestRunStalledCommandIsReported(t *testing.T) {
	o := defaultRunOptions(writeTestModel(t, 32), "cmd:exec sleep 30")
	o.stallTimeout = 50 * time.Millisecond
	stderr := runUntil(t, o, "edgecnn: camera failed before its first frame: cmd:exec sleep 30: no frame for 50ms; retrying in 500ms\n")
	require.NotContains(t, stderr, "reopened")
}

// A command that exits without a frame: the retry says why.
func TestRunFailingCommandSaysWhy(t *testing.T) {
	o := defaultRunOptions(writeTestModel(t, 32), "cmd:echo no camera here >&2; exit 7")
	stderr := runUntil(t, o, "edgecnn: camera failed before its first frame: cmd:echo no camera here >&2; exit 7: command exited: exit status 7 (stderr: no camera here); retrying in 500ms\n")
	require.Regexp(t, `(^|\n)no camera here\n`, stderr, "the command's stderr is shown as it comes too")
	require.NotContains(t, stderr, "reopened")
}

func TestRunLoopFlags(t *testing.T) {
	run, _, err := rootCmd.Find([]string{"run"})
	require.NoError(t, err)
	require.Equal(t, "5s", run.Flags().Lookup("stall-timeout").DefValue)
	require.Equal(t, "false", run.Flags().Lookup("no-drop").DefValue)
}
