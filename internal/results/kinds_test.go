package results

import "testing"

// TestErrKindNames holds the contract of kinds.go: every kind has its own
// stable name, and the name reads back as the same kind.
func TestErrKindNames(t *testing.T) {
	seen := map[string]ErrKind{}
	for k := range NumKinds {
		name := k.String()
		if name == "" {
			t.Errorf("kind %d has no name", k)
			continue
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("kinds %d and %d share the name %q", prev, k, name)
		}
		seen[name] = k
		if got, ok := ParseErrKind(name); !ok || got != k {
			t.Errorf("ParseErrKind(%q): got %d, %v, want %d, true", name, got, ok, k)
		}
	}
	// Names written by earlier versions must keep their meaning.
	for name, want := range map[string]ErrKind{
		"connection_closed": KindConnClosed,
		"connection_reset":  KindConnReset,
		"eof_reused_conn":   KindEOFReusedConn,
		"proxy":             KindProxy,
		"other":             KindOther,
	} {
		if got, ok := ParseErrKind(name); !ok || got != want {
			t.Errorf("ParseErrKind(%q): got %v, %v, want %v", name, got, ok, want)
		}
	}
	if got := NumKinds.String(); got != "other" {
		t.Errorf("out-of-range kind: got %q, want other", got)
	}
}
