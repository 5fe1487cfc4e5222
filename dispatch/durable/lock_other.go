//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package durable

import (
	"fmt"
	"os"
)

// lockDir creates the lock file. On this system there is no flock: the
// directory is not protected against a second process (documented on
// Files).
func lockDir(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("durable: %w", err)
	}
	return f, nil
}
