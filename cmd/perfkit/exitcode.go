package main

import (
	"errors"
	"fmt"
)

// Exit codes (DESIGN.md). Target errors are measurements, never exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // perfkit could not do its job
	exitUsage       = 2   // invalid usage, flag, plan or expression
	exitThreshold   = 3   // a threshold or gate failed
	exitInterrupted = 130 // interrupted; the partial result was written
)

// exitError carries the exit code a command's failure maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error   { return &exitError{code: exitUsage, err: err} }
func failureError(err error) error { return &exitError{code: exitFailure, err: err} }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// silentExit ends a command with a code after it already said everything
// (a failed threshold is reported in the summary itself).
type silentExit int

func (s silentExit) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exitCode resolves an error to its exit code. Errors that reach here
// without a code come from cobra's own parsing (unknown command, bad
// argument count), which are usage errors.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var s silentExit
	if errors.As(err, &s) {
		return int(s)
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}
