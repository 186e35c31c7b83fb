//go:build unix

package testnet

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// TestRefusedAddr: connecting is refused, and while the test runs no
// listener can be given the port.
func TestRefusedAddr(t *testing.T) {
	addr := RefusedAddr(t)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			t.Fatalf("a connection to %s was accepted", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dialling %s: got %v, want connection refused", addr, err)
		}
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Errorf("a listener was given %s while it is held", addr)
	}
}
