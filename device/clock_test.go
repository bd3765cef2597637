package device

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when a test calls Advance, so tests
// of stalls and back-off neither sleep nor depend on the machine's speed.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers map[*fakeTimer]bool // armed timers
}

func newFakeClock() *fakeClock { return &fakeClock{timers: map[*fakeTimer]bool{}} }

// fakeTimer fires f (AfterFunc) or sends on ch (After).
type fakeTimer struct {
	c     *fakeClock
	at, d time.Duration
	f     func()
	ch    chan time.Time
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	t := &fakeTimer{c: c, f: f}
	t.Reset(d)
	return t
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t.ch
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	armed := t.c.timers[t]
	t.at, t.d = t.c.now+d, d
	t.c.timers[t] = true
	return armed
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	armed := t.c.timers[t]
	delete(t.c.timers, t)
	return armed
}

// Advance moves the clock on by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now += d
	var due []*fakeTimer
	for t := range c.timers {
		if t.at <= c.now {
			due = append(due, t)
			delete(c.timers, t)
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		if t.f != nil {
			t.f()
		} else {
			t.ch <- time.Time{}
		}
	}
}

// armed lists the durations of the armed timers.
func (c *fakeClock) armed() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []time.Duration
	for t := range c.timers {
		ds = append(ds, t.d)
	}
	return ds
}

// waitArmed waits until a timer of duration d is armed: the stream is
// waiting on it. It fails the test after a long real-time timeout, which
// only a stream that never arms such a timer reaches.
func (c *fakeClock) waitArmed(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, a := range c.armed() {
			if a == d {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %v timer armed; armed: %v", d, c.armed())
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// advanceArmed waits for a timer of duration d and moves the clock past it.
func (c *fakeClock) advanceArmed(t *testing.T, d time.Duration) {
	t.Helper()
	c.waitArmed(t, d)
	c.Advance(d)
}
