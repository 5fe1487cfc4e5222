package kefujs

import "github.com/kefu-dev/kefu/dispatch/durable"

// NewTestNode returns a Node on st and h without the background loop, so
// that a test moves ownership at chosen moments (Tick) and can put a
// recording Log between the Host and the Store. Close closes h and st.
func NewTestNode(st *Store, h *durable.Host, share int) *Node {
	if share <= 0 || share > st.cfg.Partitions {
		share = st.cfg.Partitions
	}
	done := make(chan struct{})
	close(done)
	return &Node{Store: st, Host: h, share: share, stop: make(chan struct{}), done: done}
}

// Noted returns how many shops the Store keeps stream sequences of.
func (s *Store) Noted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs)
}
