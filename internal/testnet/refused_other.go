//go:build !unix

package testnet

import (
	"net"
	"testing"
)

// RefusedAddr returns a loopback address nothing listened on a moment ago
// (without a portable way to hold a port unlistened, another listener may
// yet be given it).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testnet: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
