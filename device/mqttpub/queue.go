package mqttpub

import "sync"

// message is one publication; a snapshot message gets its payload (the
// pending frame as JPEG) when it is sent.
type message struct {
	topic    string
	payload  []byte
	retained bool
	snapshot bool
}

// queue is a bounded FIFO that drops its oldest message when full.
type queue struct {
	mu              sync.Mutex
	max             int
	items           []message
	queued, dropped uint64
}

// push appends m, dropping the oldest message when the queue is full.
func (q *queue) push(m message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queued++
	if len(q.items) == q.max {
		copy(q.items, q.items[1:])
		q.items = q.items[:len(q.items)-1]
		q.dropped++
	}
	q.items = append(q.items, m)
}

// pop removes the oldest message.
func (q *queue) pop() (message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return message{}, false
	}
	m := q.items[0]
	copy(q.items, q.items[1:])
	q.items[len(q.items)-1] = message{}
	q.items = q.items[:len(q.items)-1]
	return m, true
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

func (q *queue) counts() (queued, dropped uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued, q.dropped
}
