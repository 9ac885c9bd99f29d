package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// outputWriter is where a command's report goes: stdout, or a buffer that
// becomes a file only when rendering succeeded.
type outputWriter struct {
	io.Writer
	color bool
}

// writeOutput renders to stdout, or to path when set (written whole, so a
// failed render leaves no half file).
func writeOutput(s streams, path string, render func(w *outputWriter) error) error {
	if path == "" {
		return render(&outputWriter{Writer: s.Out, color: s.OutTTY && !s.NoColor})
	}
	var buf bytes.Buffer
	if err := render(&outputWriter{Writer: &buf}); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return failureError(fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}
