package mqttpub

import (
	"net"
	"testing"
	"time"
)

// BenchmarkObserve measures what the classification loop pays per frame,
// with no broker reachable (so nothing is sent meanwhile): "same" is a
// frame whose label did not change, "change" one whose label did (state
// JSON queued, 640x480 frame copied for the snapshot).
func BenchmarkObserve(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p, err := New(Config{Broker: "tcp://" + addr, DeviceID: "bench", Snapshot: true})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	f := solidFrame(640, 480, 1, 2, 3, time.Time{})
	b.Run("same", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.Observe(f, "Car", 0.9)
		}
	})
	b.Run("change", func(b *testing.B) {
		b.ReportAllocs()
		labels := [2]string{"Car", "Truck"}
		i := 0
		for b.Loop() {
			i++
			p.Observe(f, labels[i&1], 0.9)
		}
	})
}
