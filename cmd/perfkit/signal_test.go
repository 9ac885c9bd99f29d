package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// buildPerfkit compiles the command once per test binary run.
func buildPerfkit(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the perfkit binary")
	}
	bin := filepath.Join(t.TempDir(), "perfkit")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startRun starts perfkit against a server whose requests hang for hang,
// and waits until the load is under way.
func startRun(t *testing.T, bin, out string, hang time.Duration) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	cmd := exec.Command(bin, "run", srv.URL, "-u", "2", "-d", "1m", "--graceful-stop", "20s", "-o", out, "--format", "json")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &bytes.Buffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("perfkit never reached the server")
	}
	time.Sleep(300 * time.Millisecond)
	return cmd, &stdout
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestSignalWritesPartialResultAndExits130(t *testing.T) {
	bin := buildPerfkit(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		out := filepath.Join(t.TempDir(), "run.json")
		cmd, stdout := startRun(t, bin, out, 50*time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: perfkit did not stop", sig)
		}
		if code := exitStatus(t, err); code != exitInterrupted {
			t.Errorf("%v: exit %d, want %d", sig, code, exitInterrupted)
		}
		res, rerr := results.ReadFile(out)
		if rerr != nil {
			t.Fatalf("%v: partial result: %v", sig, rerr)
		}
		if st := res.Runs[0].Status; st != results.StatusInterrupted {
			t.Errorf("%v: status %q, want interrupted", sig, st)
		}
		if res.Runs[0].Totals.Requests == 0 {
			t.Errorf("%v: partial result holds no requests", sig)
		}
		if !strings.Contains(stdout.String(), `"interrupted"`) {
			t.Errorf("%v: summary on stdout does not say interrupted: %s", sig, stdout)
		}
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	bin := buildPerfkit(t)
	out := filepath.Join(t.TempDir(), "run.json")
	// Requests hang far longer than the test; the graceful stop would wait
	// 20 s for them.
	cmd, _ := startRun(t, bin, out, time.Minute)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitStatus(t, err); code != exitInterrupted {
			t.Errorf("exit %d, want %d", code, exitInterrupted)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("second signal took %v to exit", took)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a second SIGINT did not exit at once")
	}
	if _, err := os.Stat(out); err == nil {
		// Exiting at once may not write the file; if it did, it must be whole.
		if _, err := results.ReadFile(out); err != nil {
			t.Errorf("a result file was left but is not valid: %v", err)
		}
	}
}

func TestLowFileLimitIsAClearError(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit not installed")
	}
	bin := buildPerfkit(t)
	srv, served := okServer(t)
	cmd := exec.Command("prlimit", "--nofile=100:100", bin, "run", srv.URL, "-u", "500", "-d", "1s", "-q")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := exitStatus(t, err); code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "open-file limit is 100") || !strings.Contains(stderr.String(), "ulimit -n") {
		t.Errorf("stderr does not name the limit and the fix: %q", stderr.String())
	}
	if served.Load() != 0 {
		t.Errorf("%d requests were sent before the check", served.Load())
	}
}
