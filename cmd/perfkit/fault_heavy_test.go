//go:build heavy

package main

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/faultserver"
)

// The heavy command-line rows of the fault matrix: profile endpoints whose
// every capture costs a capped download, a capped inflation or a timeout.
// Run them without the race detector (it slows inflation ~10-fold):
//
//	go test -tags heavy -run Heavy -v -timeout 30m ./cmd/perfkit

// Rows 29 and 31 at the command line: a gzip bomb (1 GiB inflated), a
// body that never ends, and an endpoint that never answers. Each capture
// ends capped (oversize) or at its timeout, the load's result is whole,
// and the run ends a bounded time after the load: the capture budget
// (30 s of snapshots), a CPU chunk's timeout and the after-drain snapshot.
func TestHeavyCLIHostileProfileEndpoint(t *testing.T) {
	bomb, err := faultserver.PprofBomb(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		handler faultserver.Handler
		status  string
		// bound is how long the whole run may take.
		bound time.Duration
		// maxGrowth bounds the peak RSS above the RSS before the run.
		maxGrowth uint64
	}{
		// Inflation runs through a counting pass into io.Discard first,
		// so the bomb costs CPU, not memory.
		{"gzip bomb", bomb, "oversize", 30 * time.Second, 128 << 20},
		// A capped download is buffered whole, growing by doubling to
		// the 64 MiB cap + 1 (up to 128 MiB transiently); a CPU chunk and
		// a snapshot download side by side; the GC lets the heap reach
		// twice what is live before it collects.
		{"endless body", faultserver.PprofEndless(), "oversize", 30 * time.Second, 640 << 20},
		// Snapshots share a 30 s budget, a CPU chunk of 1 s times out
		// after 11 s, the after-drain snapshot after 10 s.
		{"never answers", faultserver.Hang(), "timeout", 75 * time.Second, 128 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, served := okServer(t)
			pprof := faultserver.New(t, tt.handler)
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			rss0 := faultserver.ProcStatus("VmRSS")
			peakOK := faultserver.ResetPeakRSS()
			start := time.Now()
			r := runCLI(t, "run", target.URL, "-u", "1", "-d", "2s", "-q", "--format", "json",
				"--profile", pprof.URL+"/debug/pprof", "--profile-chunk", "1s")
			took := time.Since(start)
			runtime.ReadMemStats(&m1)
			peak := faultserver.ProcStatus("VmHWM")
			t.Logf("a 2 s run took %v; %d profile requests; allocated %.0f MiB; RSS %.0f MiB before, peak %.0f MiB (reset %v)",
				took.Round(time.Millisecond), pprof.Requests(), float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20),
				float64(rss0)/(1<<20), float64(peak)/(1<<20), peakOK)
			if r.code != exitOK {
				t.Fatalf("exit %d, want 0; stderr %q", r.code, r.stderr)
			}
			if took > tt.bound {
				t.Errorf("the run took %v, want at most %v", took, tt.bound)
			}
			s := decodeSummary(t, r.stdout)
			if s.Requests == 0 || s.Requests != served.Load() {
				t.Errorf("requests: summary %d, target %d", s.Requests, served.Load())
			}
			if len(s.Target.Profile.Statuses) == 0 {
				t.Fatalf("no profile statuses in the summary")
			}
			for _, st := range s.Target.Profile.Statuses {
				noRoom := st.Kind == "cpu" && st.Status == "error" && strings.Contains(st.Error, "no room for a CPU profile")
				if st.Status != tt.status && !noRoom {
					t.Errorf("%s: status %q (%s), want %q", st.Kind, st.Status, st.Error, tt.status)
				}
			}
			if peakOK && peak > rss0+tt.maxGrowth {
				t.Errorf("peak RSS %.0f MiB, want at most %.0f MiB above the %.0f MiB before",
					float64(peak)/(1<<20), float64(tt.maxGrowth)/(1<<20), float64(rss0)/(1<<20))
			}
		})
	}
}
