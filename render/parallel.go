package render

import (
	"fmt"
	"runtime"
	"sync"
)

// Encoding the rows is most of what a large answer costs pxgate, and one
// core encodes them slower than Vizier sends them. The rows of a batch are
// independent, so a large batch is cut into parts encoded on several cores
// at once and joined in order: the bytes are those one core would write.
// Small batches (most answers) stay on the request's goroutine.
const (
	// maxParts bounds the parts of one batch (and the per-part state an
	// encoder keeps).
	maxParts = 4
	// partValues is the fewest values (rows × columns) worth a part of
	// its own: about 30 µs of encoding, well above a goroutine's start.
	partValues = 2048
	// chunkRows is how many rows an encoder appends before it may write
	// or lease what it appended: it bounds what a huge batch adds to the
	// buffer beyond flushSize.
	chunkRows = 2048
)

// cores is how many cores a batch may use; tests set it to exercise the
// parts on any machine.
var cores = func() int { return runtime.GOMAXPROCS(0) }

// partEncoder appends rows [from, to) to b, using only the per-part state
// of part p (0 <= p < maxParts): parts run at the same time.
type partEncoder func(p int, b []byte, from, to int) []byte

// appendRows appends rows [from, to) of a batch with cols columns, encoded
// by enc: part 0 on this goroutine straight into b, the others on their own
// goroutines into pooled buffers, copied after it in order. A panic in a
// part is raised again here, where the request's recovery sees it.
func appendRows(b []byte, from, to, cols int, enc partEncoder) []byte {
	n := to - from
	parts := min(cores(), maxParts, n*max(cols, 1)/partValues)
	if parts <= 1 {
		return enc(0, b, from, to)
	}
	var (
		wg     sync.WaitGroup
		bufs   [maxParts]*[]byte
		panics [maxParts]any
	)
	bound := func(p int) int { return from + p*n/parts }
	for p := 1; p < parts; p++ {
		buf := getBuffer()
		bufs[p] = buf
		wg.Go(func() {
			defer func() { panics[p] = recover() }()
			*buf = enc(p, (*buf)[:0], bound(p), bound(p+1))
		})
	}
	b = enc(0, b, from, bound(1))
	wg.Wait()
	for p := 1; p < parts; p++ {
		if panics[p] != nil {
			panic(fmt.Sprintf("render: encoding rows %d to %d: %v", bound(p), bound(p+1), panics[p]))
		}
		b = append(b, *bufs[p]...)
		putBuffer(bufs[p])
	}
	return b
}
