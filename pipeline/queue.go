package pipeline

import (
	"context"
	"sync"
)

// queue hands read pages to the OCR workers.
//
// Largest first among those waiting, so that a batch does not end with one
// worker still busy on a large page while the others have nothing left
// (the output order does not change: pages are written in order). But
// recognition memory grows with the page, so a worker passes over a page
// that would put more than 1.5 times the largest page's pixels into
// recognition at once, and takes the largest that fits, or the smallest:
// two of the largest pages run together only when nothing else is left,
// and peak memory stays that of one large page and a smaller one, however
// long the batch. Any number of goroutines may push and pop; the mutex
// guards the fields below it.
type queue struct {
	signal chan struct{} // one token per pushed page; closed by close

	mu      sync.Mutex
	items   []*job
	busy    int // pixels of the pages being recognised
	largest int // pixels of the largest page seen
}

// newQueue makes a queue for at most size pages at a time.
func newQueue(size int) *queue {
	return &queue{signal: make(chan struct{}, size)}
}

// push adds a page. It never blocks while fewer than size pages wait.
func (q *queue) push(j *job) {
	q.mu.Lock()
	q.items = append(q.items, j)
	q.largest = max(q.largest, j.pixels())
	q.mu.Unlock()
	q.signal <- struct{}{}
}

// close says no page will be pushed any more.
func (q *queue) close() { close(q.signal) }

// pop waits for a page and returns the one to recognise next (see queue),
// or nil once the queue is closed and empty, or ctx is done. The caller
// calls done with the page once recognised.
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
	budget := q.largest * 3 / 2
	best, smallest := -1, 0
	for i, j := range q.items {
		px := j.pixels()
		if q.busy+px <= budget && (best < 0 || px > q.items[best].pixels()) {
			best = i
		}
		if px < q.items[smallest].pixels() {
			smallest = i
		}
	}
	if best < 0 {
		best = smallest
	}
	j := q.items[best]
	q.items = append(q.items[:best], q.items[best+1:]...)
	j.cost = j.pixels()
	q.busy += j.cost
	return j
}

// done says a page popped earlier is no longer being recognised.
func (q *queue) done(j *job) {
	q.mu.Lock()
	q.busy -= j.cost // cleanup may have cropped the page meanwhile
	q.mu.Unlock()
}

// pixels is the page's size, the best guess of its recognition time
// before it is recognised.
func (j *job) pixels() int { return j.page.Width * j.page.Height }
