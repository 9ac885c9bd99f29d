//go:build unix

package loadgen

import (
	"fmt"
	"syscall"
)

// checkFDs fails before any traffic when the plan's concurrency cannot
// fit in the open-file limit: otherwise the run would "measure" thousands
// of EMFILE dial errors. Go already raised the soft limit to the hard one
// at start-up, so the soft limit here is all the process can get.
func checkFDs(conns int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown limit: let the run say what happens
	}
	need := uint64(conns) + fdReserve
	if lim.Cur >= need {
		return nil
	}
	return fmt.Errorf("the plan may hold %d connections open but the open-file limit is %d (hard limit %d): raise it with `ulimit -n %d` (as root, or in /etc/security/limits.conf) or lower --vus/--max-vus",
		conns, lim.Cur, lim.Max, need)
}
