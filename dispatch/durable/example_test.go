package durable_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/policy"
)

// A shop on the file log survives its process: the second host, on the
// same directory, replays what the first acknowledged and numbers the
// events on from there.
func Example() {
	dir, _ := os.MkdirTemp("", "kefu")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())

	files, _ := durable.OpenFiles(dir, durable.FilesOptions{})
	host, _ := durable.NewHost(ctx, durable.HostOptions{Log: files, Snapshots: files})
	host.Create(ctx, "shop-1", policy.Kuaishou())
	host.Apply(ctx, "shop-1", t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "wang",
		AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1)}})
	for _, s := range []string{"s1", "s2"} {
		evs, _ := host.Apply(ctx, "shop-1", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpArrive,
			Arrival: dispatch.Arrival{Session: s, Buyer: "b-" + s}})
		fmt.Println(evs[0].Seq, evs[0])
	}
	files.Close() // the process dies: no host.Close, no snapshot

	files, _ = durable.OpenFiles(dir, durable.FilesOptions{})
	defer files.Close()
	host, _ = durable.NewHost(ctx, durable.HostOptions{Log: files, Snapshots: files})
	defer host.Close(ctx)
	evs, _ := host.Apply(ctx, "shop-1", t0.Add(2*time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	for _, ev := range evs {
		fmt.Println(ev.Seq, ev)
	}
	fmt.Printf("%+v\n", host.Stats())
	// Output:
	// 1 09:01:00 assigned s1 -> wang (arrival)
	// 2 09:01:00 queued s2
	// 3 09:02:00 closed s1 at wang
	// 4 09:02:00 assigned s2 -> wang (freed)
	// {Loaded:1 Loads:1 Replayed:3 Evictions:0 Snapshots:0}
}
