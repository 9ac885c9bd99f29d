package loadgen

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: a
// load generator that leaks a VU, a timer or a connection reader per run
// would grow without bound over repetitions.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
