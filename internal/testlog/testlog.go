// Package testlog holds what tests use to capture a server's logs.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a log sink safe for the concurrent writes of a server's
// goroutines; String returns everything written so far.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
