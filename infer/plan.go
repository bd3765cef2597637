package infer

import (
	"cmp"
	"slices"
)

// buffer is one activation tensor as the memory planner sees it: alive from
// step First to step Last (inclusive), Size bytes used, Alloc bytes reserved.
type buffer struct {
	Size, Alloc int
	First, Last int
	Offset      int // set by planArena
	placed      bool
}

func (a *buffer) overlaps(b *buffer) bool { return a.First <= b.Last && b.First <= a.Last }

// planArena places every buffer in one arena and returns the arena's size.
// It is TFLite Micro's GreedyMemoryPlanner: buffers are taken largest first
// and each goes to the lowest offset where it overlaps no placed buffer that
// is alive at the same time.
func planArena(bufs []buffer) int {
	order := make([]int, len(bufs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(bufs[b].Alloc, bufs[a].Alloc), cmp.Compare(bufs[a].First, bufs[b].First))
	})
	size := 0
	var live []*buffer
	for _, i := range order {
		b := &bufs[i]
		live = live[:0]
		for j := range bufs {
			if p := &bufs[j]; p.placed && p.overlaps(b) {
				live = append(live, p)
			}
		}
		slices.SortFunc(live, func(p, q *buffer) int { return cmp.Compare(p.Offset, q.Offset) })
		off := 0
		for _, p := range live {
			if off+b.Alloc <= p.Offset {
				break
			}
			off = max(off, p.Offset+p.Alloc)
		}
		b.Offset, b.placed = off, true
		size = max(size, off+b.Alloc)
	}
	return size
}

// lowerBound is the most bytes alive at any one step: no arena can be
// smaller.
func lowerBound(bufs []buffer) int {
	last := 0
	for _, b := range bufs {
		last = max(last, b.Last)
	}
	best := 0
	for step := 0; step <= last; step++ {
		sum := 0
		for _, b := range bufs {
			if b.First <= step && step <= b.Last {
				sum += b.Size
			}
		}
		best = max(best, sum)
	}
	return best
}

// naiveBytes is the memory one buffer per tensor would take.
func naiveBytes(bufs []buffer) int {
	sum := 0
	for _, b := range bufs {
		sum += b.Size
	}
	return sum
}
