// Package sim simulates a day (or many) of a shop's customer-service desk on
// the real dispatch engine, on simulated time, and reports what buyers and
// agents saw hour by hour: arrivals, P(wait), average speed of answer,
// service level, the longest queue, occupancy. Its tests validate it against
// queueing theory (package queueing): with one session per agent and
// exponential times, the engine behaves as M/M/c (Erlang C), and with
// exponential patience as M/M/c+M (Erlang A).
//
// # Model
//
// Buyers arrive as a Poisson process whose rate is constant within each
// hour (Config.Arrivals, a daily profile with, say, a live-stream peak).
// Each session takes a service time (Config.Service, any [Dist]) from when
// the engine assigns it to an agent; then the simulator closes it, and the
// engine gives the agent the queue head (rule C5). A buyer still waiting
// when their patience (Config.Patience) runs out leaves the queue. At each
// hour the staffing plan (Config.Staffing) logs agents in and out; an agent
// who logs out keeps its sessions until they end (rule S5) and takes no new
// ones. Each agent serves up to Config.Cap sessions at once. Everything
// else — who takes a session, the queue order (Q2: first come first served
// within a priority), the offline pool while nobody is online (O1) — is the
// engine's decision, under Config.Policy.
//
// The engine's own timers fire at their deadlines (Engine.NextDeadline,
// Engine.Advance): with a maximum wait (E8, Policy.MaxWait) a buyer leaves
// the queue pool exactly then, for the offline pool (where their patience
// still runs), the bot (where they stay) or nowhere (refused), by
// Policy.Divert; a queue cap (Policy.QueueCap) diverts new buyers the same
// way. Stats.Refused, Diverted, MaxInQueue (the queue pool alone) and
// LongestQueueWait report them.
//
// The loop is a classic discrete-event simulation: a min-heap of future
// events (service ends, patience ends), plus the next arrival and the next
// hour boundary, processed in time order; each engine call's events are
// handled before the next call, as the engine reuses its event slice. Time
// and randomness are explicit (a PCG seeded from Config.Seed), so a Config
// always gives the same [Report].
//
// # Definitions
//
// The report counts sessions in the hour they arrive in:
//
//   - P(wait) = served sessions that waited in the queue / served sessions;
//   - ASA = mean wait of the served sessions, 0 for those assigned at once;
//   - service level = sessions served within Config.AnswerWithin (180 s by
//     default) / sessions served or abandoned;
//   - occupancy = Σ over online agents of min(load, Cap)/Cap, averaged over
//     the hour, / agents online: the fraction of the staffed capacity in use
//     (with Cap 1, the time the agents are busy). It counts in the hour of
//     the clock, as does the longest queue.
//
// These match the formulas of package queueing: P(wait) is Erlang C's
// C(c, a) and Erlang A's PWaitServed; ASA is queueing.ASA and Erlang A's ASA.
//
// # Usage
//
//	rep, err := sim.Run(sim.Config{
//		Start:    time.Date(2026, 11, 11, 0, 0, 0, 0, policy.ChinaStandardTime()),
//		Arrivals: []float64{20, 10, 5, …},        // per hour, 24 values
//		Staffing: []int{2, 1, 1, …},               // agents online per hour
//		Cap:      5,                               // sessions per agent
//		Service:  sim.Exponential(6 * time.Minute),
//		Patience: sim.Exponential(4 * time.Minute),
//		Seed:     1,
//		Policy:   policy.Policy{Capacity: agent.DouyinBounds()},
//	})
//	if err != nil { … }
//	fmt.Print(rep)             // the hourly table
//	err = rep.WriteSVG(file)   // queue length and agents online over the day
//
//	// Erlang C's staffing per hour for 80% answered within 180 s, cap 1:
//	plan, err := sim.SuggestStaffing(cfg, 0.8)
//
// Run is safe to call from several goroutines at once (each run has its own
// engine); a Report is a value and not changed after Run returns.
//
// # Cost
//
// Each session costs a handful of engine operations (Arrive, then Close or
// Leave), each O(log n) in agents and waiting sessions, and O(log m) in the
// heap of m pending events. Sessions' ids are reused once they end, as the
// engine allows, so the simulator allocates per simulated hour, not per
// session. The package's benchmark reports simulated sessions per second;
// most of the time is the engine's.
package sim
