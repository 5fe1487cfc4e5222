//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package durable_test

// flushDisk does nothing here: the setup's writes may still be in the
// cache when a benchmark starts.
func flushDisk() {}
