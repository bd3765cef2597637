// Package mqtttest runs a real MQTT broker (Debian's mosquitto) for tests,
// with a proxy that can cut connections and a subscriber that records and
// logs what it receives.
package mqtttest

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// Broker is a mosquitto started by a test on a free localhost port.
type Broker struct {
	t    testing.TB
	bin  string
	conf string
	// Addr is host:port of the listener.
	Addr string
	cmd  *exec.Cmd
	log  bytes.Buffer
}

// StartBroker starts Debian's mosquitto, or skips the test without it.
func StartBroker(t testing.TB) *Broker {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr != nil {
			t.Skip("mosquitto is not installed (apt-get install mosquitto): MQTT not tested against a real broker")
		}
		bin = "/usr/sbin/mosquitto"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	b := &Broker{t: t, bin: bin, conf: filepath.Join(t.TempDir(), "mosquitto.conf"), Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	require.NoError(t, os.WriteFile(b.conf, fmt.Appendf(nil, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port), 0o644))
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// URL is the broker's tcp:// URL.
func (b *Broker) URL() string { return "tcp://" + b.Addr }

// Start runs mosquitto and waits until it accepts connections.
func (b *Broker) Start() {
	b.cmd = exec.Command(b.bin, "-c", b.conf)
	b.cmd.Stdout, b.cmd.Stderr = &b.log, &b.log
	require.NoError(b.t, b.cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", b.Addr)
		if err == nil {
			c.Close()
			b.t.Logf("mosquitto (pid %d) listening on %s", b.cmd.Process.Pid, b.Addr)
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto did not come up on %s: %v\n%s", b.Addr, err, b.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the broker (no clean shutdown) and waits for it.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Kill()
	b.cmd.Wait()
	b.t.Logf("mosquitto (pid %d) killed", b.cmd.Process.Pid)
	b.cmd = nil
}

// Proxy forwards TCP connections to a broker; Cut drops them all at once,
// as a pulled network cable or a crashed device would.
type Proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// StartProxy forwards a free localhost port to the address to.
func StartProxy(t testing.TB, to string) *Proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &Proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.Cut() })
	return p
}

// URL is the proxy's tcp:// URL.
func (p *Proxy) URL() string { return "tcp://" + p.l.Addr().String() }

// Cut closes every forwarded connection.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Received is one message a subscriber got.
type Received struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// String shows a message on one line; JPEG payloads by size.
func (r Received) String() string {
	ret := "live    "
	if r.Retained {
		ret = "retained"
	}
	payload := string(r.Payload)
	if strings.HasSuffix(r.Topic, "/snapshot") {
		img, err := jpeg.Decode(bytes.NewReader(r.Payload))
		if err != nil {
			payload = fmt.Sprintf("<%d bytes, not a JPEG: %v>", len(r.Payload), err)
		} else {
			payload = fmt.Sprintf("<JPEG %d bytes, %dx%d>", len(r.Payload), img.Bounds().Dx(), img.Bounds().Dy())
		}
	}
	return fmt.Sprintf("%-45s %s %s", r.Topic, ret, payload)
}

// Subscriber is a paho client that records everything under edgecnn/# and
// homeassistant/#, and logs each message as the test reads it.
type Subscriber struct {
	t     testing.TB
	name  string
	start time.Time
	ch    chan Received
	c     mqtt.Client
}

// Subscribe connects a subscriber named name to the broker.
func Subscribe(t testing.TB, brokerURL, name string) *Subscriber {
	s := &Subscriber{t: t, name: name, start: time.Now(), ch: make(chan Received, 10000)}
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("test-" + name).SetAutoReconnect(false)
	s.c = mqtt.NewClient(opts)
	tok := s.c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second), "subscriber %s: connect timed out", name)
	require.NoError(t, tok.Error())
	tok = s.c.SubscribeMultiple(map[string]byte{"edgecnn/#": 1, "homeassistant/#": 1}, func(_ mqtt.Client, m mqtt.Message) {
		s.ch <- Received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained()}
	})
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { s.c.Disconnect(100) })
	return s
}

// Next returns the next message, failing the test after timeout.
func (s *Subscriber) Next(timeout time.Duration) Received {
	s.t.Helper()
	select {
	case r := <-s.ch:
		s.t.Logf("[%s +%6.3fs] %s", s.name, time.Since(s.start).Seconds(), r)
		return r
	case <-time.After(timeout):
		s.t.Fatalf("subscriber %s: no message within %v", s.name, timeout)
		return Received{}
	}
}

// Until reads messages until one satisfies ok, and returns it.
func (s *Subscriber) Until(timeout time.Duration, what string, ok func(Received) bool) Received {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			s.t.Fatalf("subscriber %s: no %s within %v", s.name, what, timeout)
		}
		if r := s.Next(left); ok(r) {
			return r
		}
	}
}

// Quiet checks that no message arrives for d.
func (s *Subscriber) Quiet(d time.Duration) {
	s.t.Helper()
	select {
	case r := <-s.ch:
		s.t.Fatalf("subscriber %s: unexpected message %s", s.name, r)
	case <-time.After(d):
	}
}

// SyncLog is a log writer that is safe for paho's goroutines and is
// printed when the test ends.
type SyncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *SyncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *SyncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
