package cli

import (
	"errors"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/mqttpub"
	"github.com/edgecnn/edgecnn/device/runloop"
)

// mqttFlags are edgecnn run's --mqtt flags.
type mqttFlags struct {
	broker, id          string
	every               time.Duration
	discovery, snapshot bool
}

func (m *mqttFlags) add(f *pflag.FlagSet) {
	f.StringVar(&m.broker, "mqtt", "", "publish label changes to this MQTT broker, e.g. tcp://homeassistant.local:1883 (user:password@ in the URL to log in)")
	f.StringVar(&m.id, "mqtt-id", "", "device id in the MQTT topics edgecnn/ID/... (default: the host name)")
	f.DurationVar(&m.every, "mqtt-every", time.Minute, "also republish the state this often while the label stays the same (0: only on changes)")
	f.BoolVar(&m.discovery, "mqtt-discovery", false, "publish Home Assistant MQTT discovery messages, so the sensors appear by themselves")
	f.BoolVar(&m.snapshot, "mqtt-snapshot", false, "publish the frame as JPEG to edgecnn/ID/snapshot on every label change")
}

// open starts the publisher, or returns nil without --mqtt.
func (m *mqttFlags) open(modelName string, labels []string, log io.Writer) (*mqttpub.Publisher, error) {
	if m.broker == "" {
		if m.id != "" || m.discovery || m.snapshot {
			return nil, errors.New("--mqtt-id, --mqtt-discovery and --mqtt-snapshot need --mqtt")
		}
		return nil, nil
	}
	return mqttpub.New(mqttpub.Config{Broker: m.broker, DeviceID: m.id, Every: m.every, Discovery: m.discovery,
		Snapshot: m.snapshot, Model: modelName, Labels: labels, Log: log})
}

// publishingClassifier hands every prediction to the MQTT publisher, which
// never blocks.
type publishingClassifier struct {
	runloop.Classifier
	pub *mqttpub.Publisher
}

func (c publishingClassifier) Classify(f *device.Frame) (runloop.Prediction, error) {
	p, err := c.Classifier.Classify(f)
	if err == nil {
		c.pub.Observe(f, p.Label, p.Probability)
	}
	return p, err
}
