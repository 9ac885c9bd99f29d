//go:build !unix

package loadgen

func checkFDs(int) error { return nil }
