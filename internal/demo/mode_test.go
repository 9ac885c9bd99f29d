package demo

import "testing"

func TestModeString(t *testing.T) {
	tests := []struct {
		mode Mode
		want string
	}{
		{ModeNPlus1, "n+1"},
		{ModeBatched, "batched"},
		{Mode(7), "Mode(7)"},
	}
	for _, tt := range tests {
		if got := tt.mode.String(); got != tt.want {
			t.Errorf("Mode(%d).String() = %q, want %q", int32(tt.mode), got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"n+1", ModeNPlus1, false},
		{"nplus1", ModeNPlus1, false},
		{" Batched ", ModeBatched, false},
		{"batched", ModeBatched, false},
		{"", 0, true},
		{"n 1", 0, true},
		{"cached", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParseMode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Every mode's name must parse back to it: the CLI prints and reads them.
	for _, m := range []Mode{ModeNPlus1, ModeBatched} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v, want %v, nil", m.String(), got, err, m)
		}
	}
}

func TestSetModePanicsOnInvalidMode(t *testing.T) {
	s := New(Options{QueryCPU: testQueryCPU, Customers: 1})
	defer func() {
		if recover() == nil {
			t.Errorf("SetMode(Mode(9), false) did not panic")
		}
	}()
	s.SetMode(Mode(9), false)
}
