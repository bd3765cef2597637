package infer

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// op is one layer's computation, split into independent rows (output rows
// or output channels) that workers compute in parallel.
type op interface {
	// rows is the number of independent work items.
	rows() int
	// run computes rows [lo, hi) using the scratch of worker w.
	run(lo, hi, w int)
}

// chunk is the share of n rows that worker w of nw computes. Every op splits
// its rows the same way, so per-worker state can be prepared at load.
func chunk(n, nw, w int) (lo, hi int) {
	return n * w / nw, n * (w + 1) / nw
}

// spinTime is how long an idle worker polls for the next op before it
// parks. Within a frame ops follow each other closely, so workers rarely
// park; parking goes through the scheduler, which may allocate.
const spinTime = 2 * time.Millisecond

// pool is a fixed set of worker goroutines. The caller's goroutine is
// worker 0 and workers 1..n-1 are goroutines started at load. An op is
// published by bumping gen; workers poll gen (and park on their wake
// channel when idle for spinTime), and the caller polls pending until every
// worker has finished its chunk. Nothing allocates.
type pool struct {
	n        int
	cur      op // the op being run; written before gen is bumped
	gen      atomic.Uint64
	pending  atomic.Int32
	closed   atomic.Bool
	sleeping []atomic.Bool
	wake     []chan struct{}
	once     sync.Once
}

func newPool(n int) *pool {
	p := &pool{n: n, sleeping: make([]atomic.Bool, n), wake: make([]chan struct{}, n)}
	for w := 1; w < n; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.work(w)
	}
	return p
}

// work is worker w's loop: wait for a new generation, run its chunk.
func (p *pool) work(w int) {
	var seen uint64
	for {
		seen = p.await(w, seen)
		if p.closed.Load() {
			return
		}
		o := p.cur
		if lo, hi := chunk(o.rows(), p.n, w); lo < hi {
			o.run(lo, hi, w)
		}
		p.pending.Add(-1)
	}
}

// await returns the first generation after seen (or seen once the pool is
// closed): polling at first, then parked until run or close wakes it.
func (p *pool) await(w int, seen uint64) uint64 {
	start := time.Now()
	for i := 0; ; i++ {
		if g := p.gen.Load(); g != seen || p.closed.Load() {
			return g
		}
		if i%64 != 63 || time.Since(start) < spinTime {
			runtime.Gosched()
			continue
		}
		p.sleeping[w].Store(true)
		if g := p.gen.Load(); g != seen || p.closed.Load() {
			if p.sleeping[w].CompareAndSwap(true, false) {
				return g
			}
			// run or close is about to signal: take the signal
		}
		<-p.wake[w]
		start = time.Now()
	}
}

// signal wakes every parked worker.
func (p *pool) signal() {
	for w := 1; w < p.n; w++ {
		if p.sleeping[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}

// run computes every row of o and returns when all workers are done.
func (p *pool) run(o op) {
	if p.n == 1 {
		o.run(0, o.rows(), 0)
		return
	}
	p.cur = o
	p.pending.Store(int32(p.n - 1))
	p.gen.Add(1)
	p.signal()
	if lo, hi := chunk(o.rows(), p.n, 0); lo < hi {
		o.run(lo, hi, 0)
	}
	for p.pending.Load() != 0 {
		runtime.Gosched()
	}
	p.cur = nil
}

// close stops the workers; it is safe to call more than once.
func (p *pool) close() {
	p.once.Do(func() {
		p.closed.Store(true)
		p.signal()
	})
}
