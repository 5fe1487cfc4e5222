//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package durable_test

import "syscall"

// flushDisk writes every dirty page of the system to the disks, so that
// a benchmark's fsyncs do not also flush its setup's writes.
func flushDisk() { syscall.Sync() }
