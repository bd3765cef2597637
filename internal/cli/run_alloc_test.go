package cli

import (
	"context"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/runloop"
)

// liveCamera is an endless camera of 64x48 frames that allocates nothing.
type liveCamera struct{ closed atomic.Bool }

func (c *liveCamera) Name() string { return "live test camera" }
func (c *liveCamera) Close() error { c.closed.Store(true); return nil }
func (c *liveCamera) Read(f *device.Frame) error {
	runtime.Gosched() // a real camera blocks between frames
	if c.closed.Load() {
		return device.ErrClosed
	}
	f.Resize(64, 48)
	for i := range f.Pix {
		f.Pix[i] = byte(i + int(f.Seq))
	}
	return nil
}

// The run loop with the real runtime allocates nothing per frame.
func TestRunLoopWithRuntimeAllocatesNothing(t *testing.T) {
	rt := loadRuntime(t, writeTestModel(t, 32))
	stream := device.NewStream(&liveCamera{}, device.StreamOptions{})
	defer stream.Close()
	loop, err := runloop.New(runloop.Config{Source: stream, Classifier: runtimeClassifier{rt}, Out: io.Discard, JSON: true,
		Log: io.Discard, SummaryEvery: time.Hour})
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		require.NoError(t, loop.Step(ctx))
	}
	require.Zero(t, testing.AllocsPerRun(20, func() {
		if err := loop.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}))
}
