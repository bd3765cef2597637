package train

import "sync"

// engine runs work on a fixed number of workers. Samples are split into one
// contiguous partition per worker that depends only on the batch size and
// the worker count, so every reduction happens in the same order on every
// run: the same seed and thread count give bit-identical training.
type engine struct {
	threads int
}

// span returns worker w's share [b0, b1) of n items.
func (e *engine) span(n, w int) (b0, b1 int) {
	return n * w / e.threads, n * (w + 1) / e.threads
}

// run calls fn(w, b0, b1) for every worker w with its share of n items, in
// parallel, and returns when all have finished. Workers with an empty share
// are called too, so per-worker state stays in step.
func (e *engine) run(n int, fn func(w, b0, b1 int)) {
	if e.threads == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(e.threads - 1)
	for w := 1; w < e.threads; w++ {
		go func() {
			defer wg.Done()
			b0, b1 := e.span(n, w)
			fn(w, b0, b1)
		}()
	}
	b0, b1 := e.span(n, 0)
	fn(0, b0, b1)
	wg.Wait()
}
