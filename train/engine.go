package train

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// job is work split over the engine's workers: part processes items
// [b0, b1) as worker w. Layers are jobs: they keep the arguments of the
// pass in progress in their own fields, so dispatching one allocates
// nothing.
type job interface {
	part(w, b0, b1 int)
}

// engine runs jobs on a fixed number of workers. Items are split into one
// contiguous partition per worker that depends only on the item count and
// the worker count, so every reduction happens in the same order on every
// run: the same seed and thread count give bit-identical training.
//
// The caller is worker 0; workers 1..threads-1 are a persistent pool that
// the first parallel run starts. Close stops it, and so does the garbage
// collector once the engine is unreachable.
type engine struct {
	threads int
	pool    *pool
	cleanup runtime.Cleanup
}

// span returns worker w's share [b0, b1) of n items on threads workers.
func span(n, w, threads int) (b0, b1 int) {
	return n * w / threads, n * (w + 1) / threads
}

// run calls j.part(w, b0, b1) for every worker w with its share of n items,
// in parallel, and returns when all have finished. Workers with an empty
// share are called too, so per-worker state stays in step.
func (e *engine) run(n int, j job) {
	if e.threads == 1 {
		j.part(0, 0, n)
		return
	}
	if e.pool == nil {
		e.pool = startPool(e.threads)
		e.cleanup = runtime.AddCleanup(e, (*pool).stop, e.pool)
	}
	p := e.pool
	p.pending.Store(int64(e.threads - 1))
	for _, wk := range p.workers {
		wk.post(task{j: j, n: n})
	}
	b0, b1 := span(n, 0, e.threads)
	j.part(0, b0, b1)
	p.finished.await(func() bool { return p.pending.Load() == 0 })
	runtime.KeepAlive(e) // the cleanup must not stop the pool mid-run
}

// setThreads changes the worker count, stopping a pool of the old size.
func (e *engine) setThreads(threads int) {
	if threads != e.threads {
		e.close()
		e.threads = threads
	}
}

// close stops the pool's goroutines; the next parallel run starts a new one.
func (e *engine) close() {
	if e.pool == nil {
		return
	}
	e.cleanup.Stop()
	e.pool.stop()
	e.pool = nil
}

// task is one run's work for one pool worker; a nil job stops the worker.
type task struct {
	j job
	n int
}

// pool is the goroutines of workers 1..threads-1. It holds no reference to
// the engine, so an unused network can be collected (and its pool stopped).
//
// Runs follow each other closely (the caller's serial work in between,
// packing a kernel's transpose or summing gradients, takes tens to hundreds
// of microseconds), and waking a sleeping goroutine took about 100 us on the
// 2-core VM this was measured on, longer than many runs. Workers and the
// caller therefore spin for a while before they sleep (see signal): with
// blocking channels 86% of a seed-exercise step's runs started over 10 us
// late, with spinning 7%.
type pool struct {
	workers  []*worker
	pending  atomic.Int64 // workers still running the current tasks
	finished signal       // pending reached 0
	alive    sync.WaitGroup
}

// worker is one pool goroutine's mailbox.
type worker struct {
	posted atomic.Uint64 // tasks posted so far
	task   task          // the latest task, valid once posted has moved
	ready  signal        // posted moved
}

// post gives the worker its next task.
func (wk *worker) post(t task) {
	wk.task = t
	wk.posted.Add(1)
	wk.ready.notify()
}

func startPool(threads int) *pool {
	p := &pool{workers: make([]*worker, threads-1)}
	p.alive.Add(threads - 1)
	for i := range p.workers {
		wk := &worker{ready: newSignal()}
		p.workers[i] = wk
		go p.work(i+1, threads, wk)
	}
	p.finished = newSignal()
	return p
}

// work runs worker w's share of every task until it gets a nil job.
func (p *pool) work(w, threads int, wk *worker) {
	defer p.alive.Done()
	for seen := uint64(1); ; seen++ {
		wk.ready.await(func() bool { return wk.posted.Load() >= seen })
		t := wk.task
		if t.j == nil {
			return
		}
		b0, b1 := span(t.n, w, threads)
		t.j.part(w, b0, b1)
		if p.pending.Add(-1) == 0 {
			p.finished.notify()
		}
	}
}

// stop ends the workers and waits until they have exited.
func (p *pool) stop() {
	for _, wk := range p.workers {
		wk.post(task{})
	}
	p.alive.Wait()
}

// spinTime is how long a waiter checks its condition before it sleeps:
// longer than the serial work between two layers' runs (packing a kernel's
// transpose, summing gradients), shorter than anything a user would notice
// as load.
const spinTime = 500 * time.Microsecond

// signal lets one goroutine wait for a condition that others make true
// and then notify: it spins first, then sleeps until notified.
type signal struct {
	sleeping atomic.Bool
	wake     chan struct{} // holds at most one wake-up
}

func newSignal() signal { return signal{wake: make(chan struct{}, 1)} }

// await returns once done() is true.
func (s *signal) await(done func() bool) {
	start := time.Now()
	for i := 0; ; i++ {
		if done() {
			return
		}
		if i%256 == 255 {
			if time.Since(start) > spinTime {
				break
			}
			runtime.Gosched() // let goroutines waiting for this P run
		}
	}
	for !done() {
		s.sleeping.Store(true)
		if done() { // made true before notify could see sleeping
			s.sleeping.Store(false)
			return
		}
		<-s.wake // may be a stale wake-up: the loop checks again
	}
}

// notify wakes the waiter if it sleeps; call it after making the
// condition true.
func (s *signal) notify() {
	if s.sleeping.Swap(false) {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
