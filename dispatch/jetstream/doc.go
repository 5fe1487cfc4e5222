// Package kefujs spreads shops over many processes on NATS JetStream,
// with fenced ownership: each shop is written by one process at a time,
// its ops in a replicated stream, and another process takes a shop over
// when its owner dies, without losing an acknowledged op and without two
// owners writing one shop after a partition or a long pause.
//
// It is a nested module (github.com/kefu-dev/kefu/dispatch/jetstream),
// so that the core module keeps to its three dependencies; it implements
// package durable's Log and SnapshotStore ([Store]) and runs a
// durable.Host on them ([Node]). See [Store] for the design.
//
// # Usage
//
//	nc, err := nats.Connect(url)
//	js, err := jetstream.New(nc)
//	node, err := kefujs.Start(ctx, js, kefujs.Config{Partitions: 64, Replicas: 3},
//		durable.HostOptions{Publish: publish}, 64/processes+1)
//	...
//	evs, err := node.Host.Apply(ctx, "shop-1", time.Now(), op)
//	switch {
//	case errors.Is(err, kefujs.ErrNotOwner): // another process owns the shop now:
//		owner, _, _ := node.Store.OwnerOf(ctx, "shop-1") // route the request there
//	}
//	go node.Host.Run(ctx, 0, nil) // timers, snapshots, eviction
//	...
//	node.Close(ctx) // hand the partitions over at once
package kefujs
