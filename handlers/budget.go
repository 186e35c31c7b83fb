package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pxgate/pxgate/api"
)

// The memory budget bounds the bytes that all answers in flight hold at
// once (Options.AnswerMemory). Every run leases answerBaseBytes once it
// has a query slot (queued runs hold nothing, so a full queue is a 429,
// not a spent budget), before its query starts: what a streamed answer
// holds whatever its size (an encoding buffer, a decoded batch). An answer
// held until its verdict (JSON or CSV with tolerances), the rows a JSON
// answer holds for a table waiting its turn, a JSON answer recorded for
// the cache, and the values percentile and median checks keep grow their
// lease as they grow. A lease the budget cannot give is refused with 503
// and Retry-After before anything was sent: an answer is refused whole,
// never cut.

// answerBaseBytes is what every run answer leases to start: its encoding
// buffer, and for large results the jobs encoding rows on other cores
// (render: at most four in flight, each encoding about 128 KiB at most
// into a buffer of its own). The batches they read are the Pixie
// client's, held one batch longer.
const answerBaseBytes = 2 << 20

// DefaultAnswerMemory is Options.AnswerMemory's default.
const DefaultAnswerMemory = 256 << 20

// budget counts the bytes leased out of limit.
type budget struct {
	limit int64
	used  atomic.Int64
}

// take leases n bytes, or reports that they would exceed the limit.
func (b *budget) take(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// lease is one answer's share of the budget.
type lease struct {
	b *budget
	n int64
	// refused is grow's last refusal, if any.
	refused error
}

// lease returns an answer's lease, holding nothing until start.
func (b *budget) lease() *lease { return &lease{b: b} }

// start leases answerBaseBytes, once the run has its query slot: a 503
// problem when the budget is spent.
func (l *lease) start() error { return l.grow(answerBaseBytes) }

// grow adds n bytes to the lease: a 503 problem when the budget is spent.
func (l *lease) grow(n int) error {
	if l.b.take(int64(n)) {
		l.n += int64(n)
		return nil
	}
	pe := api.NewProblemError(api.ProblemMemoryBudget, http.StatusServiceUnavailable,
		fmt.Sprintf("the answers in flight hold the gateway's memory budget of %s (PXGATE_ANSWER_MEMORY); retry in 1 s, or ask for fewer rows (max_rows)", mebibytes(l.b.limit)))
	pe.RetryAfter = time.Second
	l.refused = pe
	return pe
}

// mebibytes writes n bytes in MiB, with a fraction when n is not whole
// MiB: "256 MiB", "0.59 MiB".
func mebibytes(n int64) string {
	return strconv.FormatFloat(math.Round(float64(n)/(1<<20)*100)/100, 'f', -1, 64) + " MiB"
}

// hold leases the bytes a JSON answer holds for a table waiting its turn
// (render.JSON.Hold): refused only before the answer started, since
// refusing them later would cut it.
func (l *lease) hold(n int, started bool) error {
	if !started {
		return l.grow(n)
	}
	l.b.used.Add(int64(n))
	l.n += int64(n)
	return nil
}

// shrink gives back n bytes of the lease (those of an answer dropped).
func (l *lease) shrink(n int) {
	n = min(n, int(l.n))
	l.b.used.Add(-int64(n))
	l.n -= int64(n)
}

// release gives the lease back.
func (l *lease) release() {
	l.b.used.Add(-l.n)
	l.n = 0
}
