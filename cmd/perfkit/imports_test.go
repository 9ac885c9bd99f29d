package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules holds the package boundaries of STYLE.md: nothing under
// internal/ imports cobra, and data flows one way (reports and results
// never import the engine; the engine never imports reports).
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "../../internal/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	const mod = "github.com/perfkit/perfkit/internal/"
	forbidden := map[string][]string{
		"":          {"github.com/spf13/cobra"},
		"results":   {mod + "loadgen", mod + "report", mod + "client", mod + "plan"},
		"report":    {mod + "loadgen", mod + "client"},
		"loadgen":   {mod + "report", mod + "progress"},
		"hdr":       {mod},
		"threshold": {mod},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		if !strings.HasPrefix(pkg, mod) {
			continue
		}
		name := strings.TrimPrefix(pkg, mod)
		for _, imp := range strings.Fields(imports) {
			for scope, bad := range forbidden {
				if scope != "" && name != scope {
					continue
				}
				for _, b := range bad {
					if imp == b || (strings.HasSuffix(b, "/") && strings.HasPrefix(imp, b)) {
						t.Errorf("%s imports %s", pkg, imp)
					}
				}
			}
		}
	}
}
