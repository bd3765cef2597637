package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device/mqttpub"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/mqtttest"
)

// TestRunPublishesToMQTT runs edgecnn run on a folder with --mqtt against
// mosquitto: every label change of the printed results arrives as a state
// message, in order, with a snapshot, after the discovery messages; the
// device is marked offline when the run ends.
func TestRunPublishesToMQTT(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "ha")
	modelPath := writeTestModel(t, 32)
	o := defaultRunOptions(modelPath, clitest.WriteImages(t, 9))
	o.mqtt = mqttFlags{broker: b.URL(), id: "cli-test", discovery: true, snapshot: true}
	var out, errw bytes.Buffer
	require.NoError(t, runCamera(context.Background(), o, &out, &errw))
	t.Logf("stderr:\n%s", errw.String())

	var changes []runLine
	for _, l := range parseRunLines(t, out.Bytes()) {
		if len(changes) == 0 || changes[len(changes)-1].Label != l.Label {
			changes = append(changes, l)
		}
	}
	tp := mqttpub.TopicsFor("cli-test")
	var states []mqttpub.State
	snapshots := 0
	var sensor map[string]any
	for {
		r := sub.Next(10 * time.Second)
		switch r.Topic {
		case tp.State:
			var s mqttpub.State
			require.NoError(t, json.Unmarshal(r.Payload, &s))
			states = append(states, s)
		case tp.Snapshot:
			snapshots++
		case tp.SensorConfig:
			require.NoError(t, json.Unmarshal(r.Payload, &sensor))
		}
		if r.Topic == tp.Availability && string(r.Payload) == mqttpub.Offline {
			break
		}
	}
	require.Len(t, states, len(changes))
	for i, c := range changes {
		require.Equal(t, c.Label, states[i].Label)
		require.InDelta(t, *c.Probability, states[i].Probability, 1e-6)
	}
	require.Equal(t, len(changes), snapshots)
	require.Equal(t, []any{"Car", "Truck"}, sensor["options"])
	require.Contains(t, errw.String(), "mqtt: connected to "+b.URL()+" as cli-test")
	require.Contains(t, errw.String(), "0 dropped, 0 failed")
}

func TestRunMQTTFlagsNeedBroker(t *testing.T) {
	o := defaultRunOptions(writeTestModel(t, 32), clitest.WriteImages(t, 1))
	o.mqtt = mqttFlags{discovery: true}
	err := runCamera(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "need --mqtt")
	o.mqtt = mqttFlags{broker: "localhost:1883"}
	err = runCamera(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "want a URL such as tcp://host:1883")
}
