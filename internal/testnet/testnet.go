// Package testnet gives tests network addresses with a known behaviour.
package testnet

// RefusedAddr (refused_unix.go, refused_other.go) returns a loopback
// address on which connections are refused for the whole test: "a Vizier
// that is down".
//
// An address found by listening on port 0 and closing the listener is not
// one: its port is free again, and any listener started meanwhile (another
// test's fake Vizier, with t.Parallel or in another package's test
// process) may be given it, so that "down" answers as that server does.
