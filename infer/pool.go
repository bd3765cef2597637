package infer

import "sync"

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

// pool is a fixed set of worker goroutines. The caller's goroutine is
// worker 0; workers 1..n-1 wait on their own channel. Signalling through
// buffered channels of empty structs allocates nothing.
type pool struct {
	n     int
	start []chan struct{}
	done  chan struct{}
	cur   op // the op being run; written before the start signals
	once  sync.Once
}

func newPool(n int) *pool {
	p := &pool{n: n, start: make([]chan struct{}, n-1), done: make(chan struct{}, n)}
	for i := range p.start {
		p.start[i] = make(chan struct{}, 1)
		go p.work(i + 1)
	}
	return p
}

func (p *pool) work(w int) {
	for range p.start[w-1] {
		o := p.cur
		if lo, hi := chunk(o.rows(), p.n, w); lo < hi {
			o.run(lo, hi, w)
		}
		p.done <- struct{}{}
	}
}

// run computes every row of o and returns when all workers are done.
func (p *pool) run(o op) {
	if p.n == 1 {
		o.run(0, o.rows(), 0)
		return
	}
	p.cur = o
	for _, c := range p.start {
		c <- struct{}{}
	}
	if lo, hi := chunk(o.rows(), p.n, 0); lo < hi {
		o.run(lo, hi, 0)
	}
	for range p.start {
		<-p.done
	}
	p.cur = nil
}

// close stops the workers; it is safe to call more than once.
func (p *pool) close() {
	p.once.Do(func() {
		for _, c := range p.start {
			close(c)
		}
	})
}
