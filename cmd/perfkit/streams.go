package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// streams carries the process's standard streams and the facts about them
// that change presentation (never data): whether each is a terminal and
// whether colour is wanted. Commands get it injected so tests can capture
// output.
type streams struct {
	In      io.Reader
	Out     io.Writer
	Err     io.Writer
	OutTTY  bool
	ErrTTY  bool
	NoColor bool
}

func systemStreams() streams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return streams{
		In:      os.Stdin,
		Out:     os.Stdout,
		Err:     os.Stderr,
		OutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		NoColor: noColor || os.Getenv("TERM") == "dumb",
	}
}

// interruptContext returns a context cancelled by the first SIGINT or
// SIGTERM, which makes a run stop gracefully and save what it measured. A
// second signal exits at once with 130.
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "\nperfkit: stopping — finishing in-flight requests and writing the result (press Ctrl-C again to quit at once)")
		cancel()
		select {
		case <-ch:
			fmt.Fprintln(stderr, "perfkit: second interrupt, exiting without waiting")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
