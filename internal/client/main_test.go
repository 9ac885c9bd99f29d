package client

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// serverEnv makes the test binary run as the server of externalServer.
const serverEnv = "PERFKIT_CLIENT_TEST_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		runExternalServer()
		return
	}
	os.Exit(m.Run())
}

// runExternalServer serves until its stdin closes: "/chunked" answers
// with a chunked body, anything else with a Content-Length one.
func runExternalServer() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // headers out without a length: the body is chunked
		}
		io.WriteString(w, "hello, world")
	}))
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// externalServer starts an httptest server in a child process, so that
// allocation counts and CPU profiles of this process are the client's
// alone. It returns the server's base URL.
func externalServer(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatalf("server stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("server stdout: %v", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start server: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			tb.Errorf("server process: %v", err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("read server URL: %v", err)
	}
	return strings.TrimSpace(line)
}
