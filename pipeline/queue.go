package pipeline

import (
	"context"
	"sync"
)

// queue hands read pages to the OCR workers, largest first among those
// waiting, so that a batch does not end with one worker still busy on a
// large page while the others have nothing left (the order of the output
// does not change: pages are written in order). Any number of goroutines
// may push and pop; the mutex guards items.
type queue struct {
	mu     sync.Mutex
	items  []*job
	signal chan struct{} // one token per pushed page; closed by close
}

// newQueue makes a queue for at most size pages at a time.
func newQueue(size int) *queue {
	return &queue{signal: make(chan struct{}, size)}
}

// push adds a page. It never blocks while fewer than size pages wait.
func (q *queue) push(j *job) {
	q.mu.Lock()
	q.items = append(q.items, j)
	q.mu.Unlock()
	q.signal <- struct{}{}
}

// close says no page will be pushed any more.
func (q *queue) close() { close(q.signal) }

// pop waits for a page and returns the largest waiting one, or nil once
// the queue is closed and empty, or ctx is done.
func (q *queue) pop(ctx context.Context) *job {
	select {
	case _, ok := <-q.signal:
		if !ok {
			return nil
		}
	case <-ctx.Done():
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	best := 0
	for i, j := range q.items {
		if j.pixels() > q.items[best].pixels() {
			best = i
		}
	}
	j := q.items[best]
	q.items = append(q.items[:best], q.items[best+1:]...)
	return j
}

// pixels is the page's size, the best guess of its recognition time
// before it is recognised.
func (j *job) pixels() int { return j.page.Width * j.page.Height }
