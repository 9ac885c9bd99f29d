//go:build !unix

package client

// alive cannot look at the socket without blocking here; the request
// itself will tell.
func (s *slot) alive() bool { return true }
