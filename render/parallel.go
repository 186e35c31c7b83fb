package render

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"github.com/pxgate/pxgate/pixie"
)

// Encoding the rows is most of what a large answer costs pxgate, and one
// core encodes them slower than Vizier sends them. The rows of a large
// batch are therefore encoded as jobs on goroutines of their own while the
// request's goroutine goes on to receive the next batch; once that one's
// jobs are started, the previous batch's bytes are written, in order: the
// bytes are those one core would write, and a batch's rows are written by
// the end of the next batch, never later, however fast the jobs ran.
// (Starting a part and waiting for it within each batch cost a thread's
// wake-up per batch, as long as the part itself on a busy machine.) Small
// batches, most answers' only ones, are encoded in place.
const (
	// jobValues is the fewest values (rows × columns) worth a job.
	jobValues = 2048
	// chunkRows is the most rows one job (or one in-place step) encodes,
	// and stepBytes about the most bytes (rows are fewer when wide): they
	// bound what a job holds, and what a huge batch adds to a buffer
	// before it is written or leased.
	chunkRows = 1024
	stepBytes = flushSize / 2
	// jobsPerBatch is how many jobs a batch is cut into (more, of
	// chunkRows rows or stepBytes at most, when it is large), and twice
	// that the most jobs of an answer in flight: what an answer holds (a
	// buffer per job, the batches they read) stays within its lease
	// whatever the machine, and other answers keep cores of their own.
	jobsPerBatch = 2
)

// cores is how many cores an answer's encoding may use; tests set it to
// exercise the jobs on any machine.
var cores = func() int { return runtime.GOMAXPROCS(0) }

// rowState is what encoding rows keeps from one row to the next: each job
// has its own.
type rowState struct {
	day     dayCache
	scratch []byte // CSV: one STRING field's text
}

// rowEncoder appends the rows of one job to b.
type rowEncoder func(b []byte, st *rowState) []byte

// pipeline runs an answer's encoding jobs and appends their bytes to the
// sink's buffer (*buf, then spill) in the order they were submitted; rows
// encoded in place go there directly. It is used by the request's
// goroutine only; its jobs touch nothing but their batch and their own
// buffer.
type pipeline struct {
	buf     *[]byte
	spill   func() error // writes (or leases) *buf once it is large
	queue   []*encodeJob // in flight or done, not emitted yet; oldest first
	state   rowState     // for rows encoded in place
	emitted int          // jobs emitted so far
}

type encodeJob struct {
	out      *[]byte // a pooled buffer
	done     chan struct{}
	panicked any
}

// worthJobs reports whether a batch of rows rows and cols columns is
// worth jobs; if not, it is encoded in place.
func worthJobs(rows, cols int) bool {
	return cores() > 1 && rows*max(cols, 1) >= jobValues
}

// inPlace encodes with enc on the request's goroutine, after the jobs in
// flight.
func (p *pipeline) inPlace(enc rowEncoder) error {
	if err := p.drain(); err != nil {
		return err
	}
	*p.buf = enc(*p.buf, &p.state)
	return p.spill()
}

// jobsRunning counts the jobs running in all answers: beyond two per core
// they would only queue for the cores (many answers at once keep them
// busy anyway) and hold buffers. A chunk that finds them all taken is
// encoded in place.
var jobsRunning atomic.Int64

// startJob takes a place among the jobs running, if one is free.
func startJob() bool {
	limit := int64(2 * cores())
	for {
		n := jobsRunning.Load()
		if n >= limit {
			return false
		}
		if jobsRunning.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// submit encodes with enc as a job if one may start (startJob), first
// emitting the oldest job when two batches' jobs are in flight (which
// bounds the memory a huge batch holds); else in place, after the jobs in
// flight.
func (p *pipeline) submit(enc rowEncoder) error {
	for len(p.queue) >= 2*jobsPerBatch {
		if err := p.next(); err != nil {
			return err
		}
	}
	if !startJob() {
		return p.inPlace(enc)
	}
	j := &encodeJob{out: getBuffer(), done: make(chan struct{})}
	p.queue = append(p.queue, j)
	go func() {
		defer close(j.done)
		defer jobsRunning.Add(-1)
		defer func() {
			if r := recover(); r != nil {
				j.panicked = fmt.Sprintf("%v\n%s", r, debug.Stack()) // the job's stack, not the request's
			}
		}()
		var st rowState
		*j.out = enc((*j.out)[:0], &st)
	}()
	return nil
}

// drain waits for every job and emits them, in order: before anything is
// appended to the answer other than through the pipeline.
func (p *pipeline) drain() error {
	return p.emitFirst(len(p.queue))
}

// emitFirst waits for the n oldest jobs and emits them, in order.
func (p *pipeline) emitFirst(n int) error {
	for range n {
		if err := p.next(); err != nil {
			return err
		}
	}
	return nil
}

// next waits for the oldest job and emits it. A panic in the job is raised
// again here, on the request's goroutine, where its recovery is.
func (p *pipeline) next() error {
	j := p.queue[0]
	<-j.done
	p.queue = p.queue[1:]
	p.emitted++
	if j.panicked != nil {
		panic(fmt.Sprintf("render: encoding rows: %v", j.panicked))
	}
	*p.buf = append(*p.buf, *j.out...)
	putBuffer(j.out)
	return p.spill()
}

// encodeRows encodes rows [0, rows) of batch b through p, chunk by chunk
// (enc(from, to) encodes one), into p.buf: as jobs when the batch is
// large, emitted by the end of the next batch (after this one's jobs
// started, the previous batch's are emitted), else in place, after the
// previous batch's. (A large batch's chunk is encoded in place too when
// the jobs running in all answers are at their bound: its rows then go
// out earlier, never later.)
func encodeRows(p *pipeline, b *pixie.Batch, rows int, enc func(from, to int) rowEncoder) error {
	cols := len(b.Cols)
	before, emitted := len(p.queue), p.emitted // the previous batch's jobs
	step := min(chunkRows, max(1, int(int64(rows)*stepBytes/max(estimateBytes(b, rows), 1))))
	submit := p.inPlace
	if worthJobs(rows, cols) { // a job per core, each worth one
		submit = p.submit
		jobs := min(cores(), jobsPerBatch)
		step = min(step, max((rows+jobs-1)/jobs, jobValues/max(cols, 1)))
	}
	for from := 0; from < rows; from += step {
		if err := submit(enc(from, min(from+step, rows))); err != nil {
			return err
		}
	}
	return p.emitFirst(max(0, before-(p.emitted-emitted))) // (submit may have emitted some)
}

// estimateBytes is about what rows [0, rows) of b take encoded: a couple
// of dozen bytes per value (a key, a number or a time), plus the text of
// STRING values.
func estimateBytes(b *pixie.Batch, rows int) int64 {
	n := int64(rows) * int64(len(b.Cols)) * 24
	for _, c := range b.Cols {
		for _, s := range c.String[:min(rows, len(c.String))] {
			n += int64(len(s))
		}
	}
	return n
}
