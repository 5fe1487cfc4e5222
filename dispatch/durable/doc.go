// Package durable makes shops survive crashes: it runs many shops'
// engines on a durable log of their ops, loads a shop when it is used and
// evicts it when idle, and drives every shop's timers from one heap
// (DESIGN properties 8 and 9). It needs only the standard library.
//
// Two small interfaces carry the storage: [Log], the ops of every shop in
// order, and [SnapshotStore], each shop's latest snapshot. [Files] is
// both, in one directory on one machine (append-only segment files with
// group commit, atomic snapshots, a directory lock); package
// dispatch/jetstream implements them on NATS JetStream to spread shops
// over many processes. [Host] runs the shops on them.
//
// # Usage
//
//	files, err := durable.OpenFiles("/var/lib/kefu", durable.FilesOptions{})
//	...
//	host, err := durable.NewHost(ctx, durable.HostOptions{
//		Log: files, Snapshots: files,
//		Publish: func(shop string, evs []dispatch.Event) { /* to the shop's subscribers, in Seq order */ },
//	})
//	...
//	err = host.Create(ctx, "shop-1", policy.Kuaishou()) // once per shop
//
//	// on every event of the shop's IM backend: logged, then applied
//	evs, err := host.Apply(ctx, "shop-1", time.Now(), dispatch.Op{Kind: dispatch.OpArrive,
//		Arrival: dispatch.Arrival{Session: "s1", Buyer: "b1"}})
//
//	// queries, under the shop's mutex
//	err = host.Read(ctx, "shop-1", func(e *dispatch.Engine) { pos, n, _ = e.Position("s1") })
//
//	// timers and maintenance (snapshots, eviction) on the wall clock
//	go host.Run(ctx, 0, nil)
//
//	// shutdown: snapshot the shops, then release the directory
//	host.Close(ctx)
//	files.Close()
//
// Tests drive [Host.AdvanceDue] and [Host.Maintain] with their own clock
// instead of Run.
//
// # Durability
//
// An op whose Apply returned (with the engine's answer, an error of the
// engine included) is in the log: with Files and SyncGroup or SyncEach it
// survives a crash of the process and of the machine, and a restarted
// host applies it exactly once, in its place, and numbers the events
// after it on from where the shop stopped (dispatch.Event.Seq). An op
// whose Apply returned a storage error was not applied, and may or may
// not be in the log (as after any timeout). See [Files] for the failure
// modes of the disk and [Host] for the rules.
package durable
