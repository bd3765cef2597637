// Package mqttpub publishes what edgecnn run sees to an MQTT broker, for
// home-automation and fleet tools:
//
//	edgecnn/ID/state         {"label","probability","fps","time"}, retained, on
//	                         every label change and every Config.Every
//	edgecnn/ID/availability  "online" (retained) on connect; "offline" as the
//	                         last will, so a device that dies or loses its
//	                         network is marked offline by the broker
//	edgecnn/ID/snapshot      the frame as JPEG on a label change (Config.Snapshot)
//	homeassistant/...        Home Assistant MQTT discovery (Config.Discovery):
//	                         sensor/ID/config (the label), sensor/ID_probability/config,
//	                         camera/ID/config with snapshots
//
// The classification loop calls Observe for every frame; Observe never waits
// for the network. Messages go into a small bounded queue that a background
// goroutine publishes while connected; when the queue is full the oldest
// message is dropped and counted, so after an outage the newest state is
// what arrives. The client reconnects by itself with back-off (1 s doubling
// to Config.MaxBackoff) and announces itself again on every connect, which
// also restores the retained messages of a broker that lost them.
package mqttpub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgecnn/edgecnn/device"
)

// Config configures a Publisher.
type Config struct {
	// Broker is the broker's URL: tcp://host:1883 (mqtt:// is the same),
	// ssl://host:8883, ws://host/mqtt or wss://; user:password@ in it
	// authenticates.
	Broker string
	// DeviceID names the device in topics; "" = DefaultDeviceID().
	DeviceID string
	// Every republishes the state this often while frames come, also
	// when the label stays the same (0: only on changes).
	Every time.Duration
	// Discovery publishes Home Assistant discovery messages on connect.
	Discovery bool
	// Snapshot publishes the frame as JPEG on every label change.
	Snapshot bool
	// Model and Labels describe the model for discovery: the device's
	// model name and the label sensor's possible states.
	Model  string
	Labels []string
	// QueueSize bounds the messages waiting for the broker (default 16).
	QueueSize int
	// MaxBackoff caps the reconnect back-off (default 30 s).
	MaxBackoff time.Duration
	// Log receives connection events; nil discards them.
	Log io.Writer
}

// State is the payload of the state topic.
type State struct {
	Label       string    `json:"label"`
	Probability float64   `json:"probability"`
	FPS         float64   `json:"fps"`
	Time        time.Time `json:"time"`
}

// Stats counts a publisher's messages.
type Stats struct {
	Queued    uint64 `json:"queued"`
	Published uint64 `json:"published"`
	// Dropped messages were pushed out of the full queue (the broker was
	// away or slow); Failed ones were sent but not acknowledged in time.
	Dropped uint64 `json:"dropped"`
	Failed  uint64 `json:"failed"`
}

// Topics are the topics a publisher uses.
type Topics struct {
	State, Availability, Snapshot                 string
	SensorConfig, ProbabilityConfig, CameraConfig string
}

// TopicsFor returns the topics of device id.
func TopicsFor(id string) Topics {
	base := "edgecnn/" + id + "/"
	return Topics{
		State: base + "state", Availability: base + "availability", Snapshot: base + "snapshot",
		SensorConfig:      "homeassistant/sensor/" + id + "/config",
		ProbabilityConfig: "homeassistant/sensor/" + id + "_probability/config",
		CameraConfig:      "homeassistant/camera/" + id + "/config",
	}
}

// Availability payloads.
const (
	Online  = "online"
	Offline = "offline"
)

const (
	qos            = 1
	publishTimeout = 10 * time.Second
	closeTimeout   = 2 * time.Second
	fpsWindow      = time.Second
)

// Publisher publishes states; see the package documentation.
type Publisher struct {
	cfg    Config
	topics Topics
	client mqtt.Client
	log    io.Writer

	q         queue
	snap      snapshotSlot
	wake      chan struct{}
	connected chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	published, failed atomic.Uint64

	// Observe's own state: only the loop's goroutine touches it.
	lastLabel   string
	lastPublish time.Time
	fps         float64
	winStart    time.Time
	winFrames   int
}

var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) }) // compiled on first use: at start-up it costs milliseconds

// DefaultDeviceID is the host name, lower-cased, with every character
// that is not a letter, digit, _ or - replaced by _.
func DefaultDeviceID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "edgecnn"
	}
	h = strings.ToLower(h)
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	b := []byte(h)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// checkBroker validates a broker URL.
func checkBroker(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("--mqtt %q: %v", s, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("--mqtt %q: want a URL such as tcp://host:1883 (schemes tcp, mqtt, ssl, tls, mqtts, ws, wss)", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("--mqtt %q: no host", s)
	}
	return nil
}

// New validates cfg and starts connecting in the background: it does not
// wait for the broker, which may come up later.
func New(cfg Config) (*Publisher, error) {
	if err := checkBroker(cfg.Broker); err != nil {
		return nil, err
	}
	if cfg.DeviceID == "" {
		cfg.DeviceID = DefaultDeviceID()
	}
	if !idPattern().MatchString(cfg.DeviceID) {
		return nil, fmt.Errorf("--mqtt-id %q: use 1 to 64 letters, digits, _ and - (it is part of MQTT topics)", cfg.DeviceID)
	}
	if cfg.Every < 0 || cfg.QueueSize < 0 || cfg.MaxBackoff < 0 {
		return nil, errors.New("mqtt: --mqtt-every, queue size and back-off must not be negative")
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 16
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	p := &Publisher{
		cfg: cfg, topics: TopicsFor(cfg.DeviceID), log: cfg.Log,
		q:    queue{max: cfg.QueueSize},
		wake: make(chan struct{}, 1), connected: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if p.log == nil {
		p.log = io.Discard
	}
	opts := mqtt.NewClientOptions().
		AddBroker(strings.Replace(cfg.Broker, "mqtt://", "tcp://", 1)).
		SetClientID("edgecnn-"+cfg.DeviceID).
		SetCleanSession(true).
		SetStore(noStore{}).
		SetOrderMatters(false).
		SetKeepAlive(15*time.Second).
		SetConnectTimeout(10*time.Second).
		SetWill(p.topics.Availability, Offline, qos, true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(cfg.MaxBackoff).
		SetOnConnectHandler(p.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			fmt.Fprintf(p.log, "mqtt: connection to %s lost (%v); reconnecting\n", redact(cfg.Broker), err)
		})
	p.client = mqtt.NewClient(opts)
	p.client.Connect() // retries in the background until it succeeds or Close
	go p.run()
	return p, nil
}

// redact hides a password in a broker URL.
func redact(broker string) string {
	if u, err := url.Parse(broker); err == nil && u.User != nil {
		return u.Redacted()
	}
	return broker
}

// onConnect announces the device: online, and the discovery messages. It
// runs on every (re)connect, so a restarted broker gets them again.
func (p *Publisher) onConnect(c mqtt.Client) {
	fmt.Fprintf(p.log, "mqtt: connected to %s as %s\n", redact(p.cfg.Broker), p.cfg.DeviceID)
	c.Publish(p.topics.Availability, qos, true, Online)
	if p.cfg.Discovery {
		for _, m := range p.discovery() {
			c.Publish(m.topic, qos, true, m.payload)
		}
	}
	select {
	case p.connected <- struct{}{}:
	default:
	}
}

// Observe takes one classified frame. On a label change, or when Every has
// passed since the last state, it queues the state (and, with Snapshot and a
// changed label, a copy of the frame). It never waits for the network and
// must be called from one goroutine.
func (p *Publisher) Observe(f *device.Frame, label string, probability float32) {
	now := f.Time
	if now.IsZero() {
		now = time.Now()
	}
	p.countFrame(now)
	changed := label != p.lastLabel || p.lastPublish.IsZero()
	if !changed && (p.cfg.Every == 0 || now.Sub(p.lastPublish) < p.cfg.Every) {
		return
	}
	p.lastLabel, p.lastPublish = label, now
	b, err := json.Marshal(State{Label: label, Probability: short(probability), FPS: math.Round(p.rate(now)*10) / 10, Time: now.UTC()})
	if err != nil {
		return // a State always marshals
	}
	p.q.push(message{topic: p.topics.State, payload: b, retained: true})
	if changed && p.cfg.Snapshot {
		p.snap.put(f)
		p.q.push(message{topic: p.topics.Snapshot, snapshot: true, retained: true})
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// countFrame measures the frame rate over windows of fpsWindow: the
// frames after the window's first one, over the time since it.
func (p *Publisher) countFrame(now time.Time) {
	if p.winStart.IsZero() {
		p.winStart = now
		return
	}
	p.winFrames++
	if el := now.Sub(p.winStart); el >= fpsWindow {
		p.fps = float64(p.winFrames) / el.Seconds()
		p.winStart, p.winFrames = now, 0
	}
}

// rate is the frame rate of the last full window, or of the current one
// before the first window is full.
func (p *Publisher) rate(now time.Time) float64 {
	if el := now.Sub(p.winStart); p.fps == 0 && el > 0 {
		return float64(p.winFrames) / el.Seconds()
	}
	return p.fps
}

// short is a float32 probability as the float64 with the same shortest
// decimal form (0.91, not 0.9100000262260437).
func short(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

// run publishes queued messages while connected.
func (p *Publisher) run() {
	defer close(p.done)
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	var jpegBuf jpegEncoder
	for {
		select {
		case <-p.stop:
			return
		case <-p.wake:
		case <-p.connected:
		case <-retry.C:
		}
		for p.client.IsConnectionOpen() {
			m, ok := p.q.pop()
			if !ok {
				break
			}
			if m.snapshot {
				if m.payload = p.snap.encode(&jpegBuf); m.payload == nil {
					continue
				}
			}
			p.send(m)
		}
	}
}

// send publishes one message and waits for the broker's acknowledgement.
func (p *Publisher) send(m message) {
	tok := p.client.Publish(m.topic, qos, m.retained, m.payload)
	if !tok.WaitTimeout(publishTimeout) || tok.Error() != nil {
		p.failed.Add(1)
		return
	}
	p.published.Add(1)
}

// Stats returns the message counts so far.
func (p *Publisher) Stats() Stats {
	queued, dropped := p.q.counts()
	return Stats{Queued: queued, Published: p.published.Load(), Dropped: dropped, Failed: p.failed.Load()}
}

// DeviceID is the id in the topics.
func (p *Publisher) DeviceID() string { return p.cfg.DeviceID }

// Close gives what is queued up to 2 s to be sent (also to a connection
// still being made), marks the device offline, disconnects and stops the
// background work.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		deadline := time.Now().Add(closeTimeout)
		for p.q.len() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		close(p.stop)
		<-p.done
		if p.client.IsConnectionOpen() {
			p.client.Publish(p.topics.Availability, qos, true, Offline).WaitTimeout(closeTimeout)
		}
		p.client.Disconnect(250)
		s := p.Stats()
		fmt.Fprintf(p.log, "mqtt: %d messages published, %d dropped, %d failed\n", s.Published, s.Dropped, s.Failed)
	})
	return nil
}
