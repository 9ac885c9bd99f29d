package demo

import (
	"fmt"
	"strings"
)

// Mode selects how the customer-orders endpoint loads order items.
type Mode int32

const (
	// ModeNPlus1 issues one query for the customer's orders and then one
	// query per order for its items.
	ModeNPlus1 Mode = iota
	// ModeBatched issues one query for the orders and one batched query for
	// all their items.
	ModeBatched
)

// String returns the name ParseMode accepts: "n+1" or "batched".
func (m Mode) String() string {
	switch m {
	case ModeNPlus1:
		return "n+1"
	case ModeBatched:
		return "batched"
	default:
		return fmt.Sprintf("Mode(%d)", int32(m))
	}
}

func (m Mode) valid() bool {
	return m == ModeNPlus1 || m == ModeBatched
}

// ParseMode parses a mode name as printed by Mode.String. "nplus1" is
// accepted too because "+" is awkward in URLs and shell flags.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "n+1", "nplus1":
		return ModeNPlus1, nil
	case "batched":
		return ModeBatched, nil
	default:
		return 0, fmt.Errorf("unknown mode %q (want n+1 or batched)", s)
	}
}
