package pinout

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// recordingPin is a gpiotest pin that records every level it is driven to.
type recordingPin struct {
	gpiotest.Pin
	levels []gpio.Level
	halted bool
	fail   bool
}

func (p *recordingPin) Out(l gpio.Level) error {
	if p.fail {
		return errors.New("permission denied")
	}
	p.levels = append(p.levels, l)
	return p.Pin.Out(l)
}

func (p *recordingPin) Halt() error { p.halted = true; return p.Pin.Halt() }

func TestPinFollowsClassWithHold(t *testing.T) {
	truck := &recordingPin{Pin: gpiotest.Pin{N: "GPIO17", Num: 17, L: gpio.High}}
	car := &recordingPin{Pin: gpiotest.Pin{N: "GPIO27", Num: 27}}
	d, err := New([]Binding{{Pin: truck, Class: 1, Label: "Truck"}, {Pin: car, Class: 0, Label: "Car"}}, 0.5, 500*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, gpio.Low, truck.Read(), "pins start low")

	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	steps := []struct {
		ms         int
		probs      []float32 // car, truck
		car, truck gpio.Level
	}{
		{0, []float32{0.8, 0.2}, gpio.High, gpio.Low},
		{100, []float32{0.1, 0.9}, gpio.High, gpio.High},   // truck high at once; car kept by the hold
		{200, []float32{0.4, 0.3}, gpio.High, gpio.High},   // a miss does not drop either pin
		{300, []float32{0.2, 0.8}, gpio.High, gpio.High},   // truck seen again: its hold restarts
		{500, []float32{0.5, 0.5}, gpio.Low, gpio.High},    // at the threshold is not over it; car unseen for 500 ms
		{799, []float32{0.4, 0.4}, gpio.Low, gpio.High},    // truck unseen for 499 ms
		{800, []float32{0.4, 0.4}, gpio.Low, gpio.Low},     // 500 ms: released
		{900, []float32{0.51, 0.51}, gpio.High, gpio.High}, // each class is judged on its own
	}
	for _, s := range steps {
		require.NoError(t, d.Update(s.probs, at(s.ms)))
		require.Equal(t, s.car, car.Read(), "car at %d ms", s.ms)
		require.Equal(t, s.truck, truck.Read(), "truck at %d ms", s.ms)
	}
	// Only real transitions were written (after the initial low).
	require.Equal(t, []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High}, truck.levels)
	require.Equal(t, []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High}, car.levels)

	require.NoError(t, d.Release())
	require.Equal(t, gpio.Low, truck.Read())
	require.Equal(t, gpio.Low, car.Read())
	require.True(t, truck.halted)
	require.True(t, car.halted)
}

func TestZeroHoldReleasesImmediately(t *testing.T) {
	p := &recordingPin{Pin: gpiotest.Pin{N: "GPIO5"}}
	d, err := New([]Binding{{Pin: p, Class: 0}}, 0.5, 0)
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, d.Update([]float32{0.9, 0.1}, now))
	require.Equal(t, gpio.High, p.Read())
	require.NoError(t, d.Update([]float32{0.1, 0.9}, now.Add(time.Millisecond)))
	require.Equal(t, gpio.Low, p.Read())
}

func TestPinErrorsAreReported(t *testing.T) {
	ok := &recordingPin{Pin: gpiotest.Pin{N: "GPIO5"}}
	bad := &recordingPin{Pin: gpiotest.Pin{N: "GPIO6"}, fail: true}
	_, err := New([]Binding{{Pin: ok, Class: 0}, {Pin: bad, Class: 1}}, 0.5, 0)
	require.ErrorContains(t, err, "gpio GPIO6: permission denied")
	require.True(t, ok.halted, "pins set up before the failure are released")
}

func TestBadSettings(t *testing.T) {
	_, err := New(nil, 1, 0)
	require.ErrorContains(t, err, "threshold")
	_, err = New(nil, 0.5, -time.Second)
	require.ErrorContains(t, err, "hold")
}

func TestParseSpec(t *testing.T) {
	pin, class, err := ParseSpec("GPIO17=Truck")
	require.NoError(t, err)
	require.Equal(t, "GPIO17", pin)
	require.Equal(t, "Truck", class)
	for _, bad := range []string{"GPIO17", "=Truck", "GPIO17=", ""} {
		_, _, err := ParseSpec(bad)
		require.ErrorContains(t, err, "want PIN=CLASS", bad)
	}
}
