package loadgen

import "sort"

// picker chooses an endpoint by weight. Each caller keeps its own state, so
// picking shares nothing between VUs and allocates nothing.
type picker struct {
	cum   []uint64 // cumulative weights
	total uint64
}

func newPicker(weights []int) picker {
	p := picker{cum: make([]uint64, len(weights))}
	for i, w := range weights {
		p.total += uint64(max(w, 1))
		p.cum[i] = p.total
	}
	return p
}

// pick advances state (a xorshift generator) and returns an endpoint index.
func (p picker) pick(state *uint64) int {
	if len(p.cum) == 1 {
		return 0
	}
	x := *state
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*state = x
	r := x % p.total
	return sort.Search(len(p.cum), func(i int) bool { return p.cum[i] > r })
}

// seed gives VU i a distinct non-zero generator state.
func seed(i int) uint64 { return uint64(i)*0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D }
