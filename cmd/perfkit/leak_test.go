package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a command leaves a goroutine behind after
// its tests: every command here is also a library call in tests, and a
// leaked VU, poller or profile capture would outlive its run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
