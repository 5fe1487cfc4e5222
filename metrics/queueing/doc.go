// Package queueing holds the closed-form results of queueing theory that a
// customer-service desk is staffed by: Erlang B, Erlang C (M/M/c: Poisson
// arrivals, exponential service, c agents each serving one buyer at a time,
// nobody gives up) and Erlang A (M/M/c+M: the same with exponential
// patience). Package sim checks its simulations of the real dispatch engine
// against them and uses StaffingFor to suggest a staffing plan.
//
// # Units
//
// Rates and times are plain float64 values in one time unit of the caller's
// choice: λ (lambda) arrivals per unit, μ (mu) services per unit per agent,
// θ (theta) abandonments per unit per waiting buyer (1/mean patience); the
// waiting times returned are in the same unit. The offered load is
// a = λ/μ Erlangs and the utilisation ρ = a/c.
//
// # Formulas
//
// Erlang B is computed by the recursion B(0, a) = 1,
// B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a)), which is numerically stable for
// any number of servers (no factorials, no powers). Erlang C follows from it:
//
//	C(c, a) = c·B / (c − a·(1 − B))           for a < c
//	ASA     = E[W]     = C / (cμ − λ)
//	SL(t)   = P(W ≤ t) = 1 − C·e^{−(cμ−λ)t}
//
// where W is the wait in the queue of an arrival (0 for one that finds an
// agent free). Erlang A is the birth–death chain with birth rate λ and death
// rate min(n,c)·μ + max(n−c,0)·θ in state n; its states above c are summed
// until the terms fall below 1e-15 of the sum (see [ErlangA]).
//
// # Usage
//
//	// 40 chats an hour, 6 minutes each, 5 agents:
//	lambda, mu := 40.0/3600, 1/360.0 // per second
//	pw, _ := queueing.ErlangC(5, lambda/mu) // P(a buyer waits)
//	asa, _ := queueing.ASA(5, lambda, mu)  // mean wait, seconds
//	sl, _ := queueing.ServiceLevel(5, lambda, mu, 180)
//	n, _ := queueing.StaffingFor(lambda, mu, 0.8, 180) // 80% within 3 min
//
//	// the same with buyers who give up after 4 minutes on average:
//	r, _ := queueing.ErlangA(5, lambda, mu, 1/240.0)
//	_ = r.PAbandon
//
// Bad input (a negative or non-finite rate, no servers, a target outside
// [0, 1)) returns an error wrapping [ErrInvalidInput], never a panic.
//
// All functions are pure and safe for concurrent use.
package queueing
