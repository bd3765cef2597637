package mqttpub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/internal/mqtttest"
)

// solidFrame is a w x h frame of one colour, captured at tm.
func solidFrame(w, h int, r, g, b byte, tm time.Time) *device.Frame {
	f := &device.Frame{Time: tm}
	f.Resize(w, h)
	for i := 0; i < len(f.Pix); i += 3 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2] = r, g, b
	}
	return f
}

func decodeState(t *testing.T, r mqtttest.Received) State {
	var s State
	require.NoError(t, json.Unmarshal(r.Payload, &s), string(r.Payload))
	return s
}

// requireSnapshot decodes a snapshot and checks its size and colour.
func requireSnapshot(t *testing.T, r mqtttest.Received, w, h int, cr, cg, cb byte) {
	img, err := jpeg.Decode(bytes.NewReader(r.Payload))
	require.NoError(t, err)
	require.Equal(t, w, img.Bounds().Dx())
	require.Equal(t, h, img.Bounds().Dy())
	pr, pg, pb, _ := img.At(w/2, h/2).RGBA()
	for _, c := range [][2]int{{int(pr >> 8), int(cr)}, {int(pg >> 8), int(cg)}, {int(pb >> 8), int(cb)}} {
		require.InDelta(t, c[1], c[0], 8, "snapshot colour")
	}
}

const wait = 10 * time.Second

// TestStateDiscoverySnapshotAndWill runs a publisher against mosquitto
// through a proxy: it checks the announcement on connect, state and
// snapshot messages on label changes and every --mqtt-every, the retained
// messages a late subscriber gets, the last will when the publisher's
// connection is cut, the reconnect, and the offline message of Close.
func TestStateDiscoverySnapshotAndWill(t *testing.T) {
	b := mqtttest.StartBroker(t)
	px := mqtttest.StartProxy(t, b.Addr)
	sub := mqtttest.Subscribe(t, b.URL(), "ha")
	var log mqtttest.SyncLog
	defer func() { t.Logf("publisher log:\n%s", log.String()) }()

	p, err := New(Config{Broker: px.URL(), DeviceID: "pi-kitchen", Every: 300 * time.Millisecond, Discovery: true, Snapshot: true,
		Model: "cars", Labels: []string{"Car", "Truck"}, MaxBackoff: 2 * time.Second, Log: &log})
	require.NoError(t, err)
	defer p.Close()
	tp := TopicsFor("pi-kitchen")

	// On connect: online, then the three discovery configs.
	got := map[string]mqtttest.Received{}
	for len(got) < 4 {
		r := sub.Next(wait)
		got[r.Topic] = r
	}
	require.Equal(t, Online, string(got[tp.Availability].Payload))
	var label, prob, cam map[string]any
	require.NoError(t, json.Unmarshal(got[tp.SensorConfig].Payload, &label))
	require.NoError(t, json.Unmarshal(got[tp.ProbabilityConfig].Payload, &prob))
	require.NoError(t, json.Unmarshal(got[tp.CameraConfig].Payload, &cam))
	require.Equal(t, "homeassistant/sensor/pi-kitchen/config", tp.SensorConfig)
	require.Equal(t, "edgecnn/pi-kitchen/state", label["state_topic"])
	require.Equal(t, "{{ value_json.label }}", label["value_template"])
	require.Equal(t, "edgecnn/pi-kitchen/availability", label["availability_topic"])
	require.Equal(t, "edgecnn_pi-kitchen_label", label["unique_id"])
	require.Equal(t, []any{"Car", "Truck"}, label["options"])
	dev := map[string]any{"identifiers": []any{"edgecnn_pi-kitchen"}, "name": "edgecnn pi-kitchen", "manufacturer": "edgecnn", "model": "cars"}
	require.Equal(t, dev, label["device"])
	require.Equal(t, dev, prob["device"])
	require.Equal(t, "%", prob["unit_of_measurement"])
	require.Equal(t, "edgecnn/pi-kitchen/snapshot", cam["topic"])
	require.Equal(t, dev, cam["device"])

	// A new label: state and snapshot. The same label again: nothing.
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	red := solidFrame(64, 48, 220, 30, 30, t0)
	p.Observe(red, "Car", 0.91)
	r := sub.Next(wait)
	require.Equal(t, tp.State, r.Topic)
	require.Equal(t, State{Label: "Car", Probability: 0.91, FPS: 0, Time: t0}, decodeState(t, r))
	r = sub.Next(wait)
	require.Equal(t, tp.Snapshot, r.Topic)
	requireSnapshot(t, r, 64, 48, 220, 30, 30)
	for i := 1; i <= 10; i++ {
		red.Time = t0.Add(time.Duration(i) * 20 * time.Millisecond) // 50 fps, within --mqtt-every
		p.Observe(red, "Car", 0.9)
	}
	sub.Quiet(300 * time.Millisecond)

	blue := solidFrame(64, 48, 20, 40, 230, t0.Add(220*time.Millisecond))
	p.Observe(blue, "Truck", 0.8)
	r = sub.Next(wait)
	require.Equal(t, "Truck", decodeState(t, r).Label)
	r = sub.Next(wait)
	require.Equal(t, tp.Snapshot, r.Topic)
	requireSnapshot(t, r, 64, 48, 20, 40, 230)

	// --mqtt-every: the same label again after 300 ms of frame time is
	// published again (without a snapshot), with the frame rate.
	for i := 1; i <= 20; i++ {
		blue.Time = t0.Add(220*time.Millisecond + time.Duration(i)*20*time.Millisecond)
		p.Observe(blue, "Truck", 0.75)
	}
	r = sub.Next(wait)
	s := decodeState(t, r)
	require.Equal(t, "Truck", s.Label)
	require.Equal(t, t0.Add(220*time.Millisecond+15*20*time.Millisecond), s.Time)
	require.Equal(t, 50.0, s.FPS, "frames 20 ms apart")
	sub.Quiet(300 * time.Millisecond)

	// A subscriber that comes later gets the retained messages.
	late := mqtttest.Subscribe(t, b.URL(), "late")
	retained := map[string]mqtttest.Received{}
	for len(retained) < 6 {
		r := late.Next(wait)
		require.True(t, r.Retained, "%s is retained", r.Topic)
		retained[r.Topic] = r
	}
	require.Equal(t, "Truck", decodeState(t, retained[tp.State]).Label)
	require.Equal(t, Online, string(retained[tp.Availability].Payload))
	requireSnapshot(t, retained[tp.Snapshot], 64, 48, 20, 40, 230)
	require.Contains(t, retained, tp.SensorConfig)

	// Cut the publisher's connection: the broker publishes the last will,
	// then the publisher reconnects and announces itself again.
	t.Log("cutting the publisher's TCP connection")
	px.Cut()
	r = sub.Until(wait, "last will", func(r mqtttest.Received) bool { return r.Topic == tp.Availability })
	require.Equal(t, Offline, string(r.Payload))
	r = sub.Until(wait, "online after reconnect", func(r mqtttest.Received) bool { return r.Topic == tp.Availability })
	require.Equal(t, Online, string(r.Payload))
	r = sub.Next(wait)
	require.Equal(t, tp.SensorConfig, r.Topic, "online once (no re-sent duplicate), then discovery again")

	red.Time = t0.Add(2 * time.Second)
	p.Observe(red, "Car", 0.95)
	r = sub.Until(wait, "state after reconnect", func(r mqtttest.Received) bool { return r.Topic == tp.State })
	require.Equal(t, "Car", decodeState(t, r).Label)

	// Close: offline, retained.
	require.NoError(t, p.Close())
	r = sub.Until(wait, "offline on close", func(r mqtttest.Received) bool { return r.Topic == tp.Availability })
	require.Equal(t, Offline, string(r.Payload))
	st := p.Stats()
	t.Logf("publisher stats: %+v", st)
	require.Zero(t, st.Dropped)
	require.Equal(t, st.Queued, st.Published)
}

// TestBrokerDownNeverBlocksAndRestartRecovers kills the broker: Observe
// keeps returning at once while the queue drops its oldest messages, and
// after the broker is started again the newest state arrives.
func TestBrokerDownNeverBlocksAndRestartRecovers(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "before")
	var log mqtttest.SyncLog
	defer func() { t.Logf("publisher log:\n%s", log.String()) }()
	p, err := New(Config{Broker: b.URL(), DeviceID: "pi-garage", Snapshot: true, QueueSize: 8, MaxBackoff: time.Second, Log: &log})
	require.NoError(t, err)
	defer p.Close()
	tp := TopicsFor("pi-garage")
	r := sub.Until(wait, "online", func(r mqtttest.Received) bool { return r.Topic == tp.Availability })
	require.Equal(t, Online, string(r.Payload))

	b.Stop()
	frame := solidFrame(320, 240, 90, 200, 90, time.Time{})
	const n = 5000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			p.Observe(frame, fmt.Sprintf("L%d", i%2), 0.5) // every frame a change
		}
		p.Observe(frame, "Final", 0.99)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Observe blocked while the broker was down")
	}
	st := p.Stats()
	t.Logf("after %d changes with the broker down: %+v", n+1, st)
	require.Equal(t, uint64(2*(n+1)), st.Queued)
	require.GreaterOrEqual(t, st.Dropped, uint64(2*(n+1)-8-4), "all but the queue (and what was in flight) is dropped")

	b.Start()
	after := mqtttest.Subscribe(t, b.URL(), "after")
	// The queue's newest messages arrive, ending with the final state; the
	// one pending frame is sent as a snapshot on the way.
	snapshots := 0
	r = after.Until(3*wait, "the newest state after the restart", func(r mqtttest.Received) bool {
		if r.Topic == tp.Snapshot {
			snapshots++
		}
		return r.Topic == tp.State && decodeState(t, r).Label == "Final"
	})
	require.Equal(t, 0.99, decodeState(t, r).Probability)
	require.Equal(t, 1, snapshots)
	require.Contains(t, log.String(), "lost")
	require.Equal(t, 2, bytes.Count([]byte(log.String()), []byte("mqtt: connected to")), "connected, then reconnected")
}

// Close returns although no broker was ever reachable.
func TestCloseWithoutBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	p, err := New(Config{Broker: "tcp://" + addr, DeviceID: "x"})
	require.NoError(t, err)
	p.Observe(solidFrame(2, 2, 0, 0, 0, time.Time{}), "Car", 1)
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close blocked without a broker")
	}
	require.Equal(t, Stats{Queued: 1}, p.Stats())
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Broker: "localhost:1883"}, "want a URL such as tcp://host:1883"},
		{Config{Broker: "http://h:1883"}, "want a URL"},
		{Config{Broker: "tcp://:1883"}, "no host"},
		{Config{Broker: "tcp://h:1883", DeviceID: "a/b"}, `--mqtt-id "a/b"`},
		{Config{Broker: "tcp://h:1883", DeviceID: "x", Every: -time.Second}, "must not be negative"},
	} {
		_, err := New(c.cfg)
		require.ErrorContains(t, err, c.want)
	}
}

func TestQueueDropsOldest(t *testing.T) {
	q := queue{max: 3}
	for i := range 5 {
		q.push(message{topic: fmt.Sprint(i)})
	}
	var topics []string
	for m, ok := q.pop(); ok; m, ok = q.pop() {
		topics = append(topics, m.topic)
	}
	require.Equal(t, []string{"2", "3", "4"}, topics)
	queued, dropped := q.counts()
	require.Equal(t, uint64(5), queued)
	require.Equal(t, uint64(2), dropped)
}

func TestSnapshotSlotKeepsNewestFrame(t *testing.T) {
	var s snapshotSlot
	var e jpegEncoder
	require.Nil(t, s.encode(&e), "nothing pending")
	s.put(solidFrame(8, 8, 255, 0, 0, time.Time{}))
	s.put(solidFrame(16, 8, 0, 0, 255, time.Time{}))
	b := s.encode(&e)
	img, err := jpeg.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, 16, img.Bounds().Dx())
	_, _, blue, _ := img.At(4, 4).RGBA()
	require.Greater(t, blue>>8, uint32(200))
	require.Nil(t, s.encode(&e), "a frame is encoded once")
}
