package train

import (
	"runtime"
	"sync"
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
	p.busy.Add(e.threads - 1)
	for _, tasks := range p.tasks {
		tasks <- task{j: j, n: n}
	}
	b0, b1 := span(n, 0, e.threads)
	j.part(0, b0, b1)
	p.busy.Wait()
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

// task is one run's work for one pool worker.
type task struct {
	j job
	n int
}

// pool is the goroutines of workers 1..threads-1, each waiting on its own
// channel. It holds no reference to the engine, so an unused network can
// be collected (and its pool stopped).
type pool struct {
	tasks []chan task
	busy  sync.WaitGroup // workers still running the current tasks
	alive sync.WaitGroup // workers not yet exited
}

func startPool(threads int) *pool {
	p := &pool{tasks: make([]chan task, threads-1)}
	p.alive.Add(threads - 1)
	for i := range p.tasks {
		p.tasks[i] = make(chan task, 1)
		go p.work(i+1, threads, p.tasks[i])
	}
	return p
}

// work runs worker w's share of every task until its channel is closed.
func (p *pool) work(w, threads int, tasks <-chan task) {
	defer p.alive.Done()
	for t := range tasks {
		b0, b1 := span(t.n, w, threads)
		t.j.part(w, b0, b1)
		p.busy.Done()
	}
}

// stop ends the workers and waits until they have exited.
func (p *pool) stop() {
	for _, tasks := range p.tasks {
		close(tasks)
	}
	p.alive.Wait()
}
