// Package model is the reference model of the dispatch engine: the same
// rules (RULES.md: C, S, Q, O, R, P, B, L, E1-E11) implemented in the
// most obvious way, as the oracle of dispatch's differential tests and the
// baseline of its benchmark ratios.
//
// It is deliberately slow. Agents and open sessions are plain slices in the
// order they appeared; an agent's load is counted by scanning the
// sessions; the least saturated agent is found by comparing every agent;
// the queue head, a buyer's position, an agent's list and its history are
// found by sorting on every call; the next timer is found by computing
// every session's deadline from its state and taking the earliest. There
// is no B-tree, no index, no incremental counter that could drift: if the
// engine and the model disagree, the model's few lines of rule are the
// place to start reading.
//
// The model cannot import package dispatch: dispatch's in-package tests
// import the model, and Go forbids the cycle. So it mirrors dispatch's
// types (Event, SessionInfo, AgentInfo, Closed, Page) field by field, with
// enums of the same numeric values, so that a test converts by casting,
// and has its own sentinel errors with the same names, which a test maps
// one to one. It imports package agent for the Capacity, Bounds and
// Status types only (never its Roster) and package policy for the Policy
// struct and its small helpers.
//
// Semantics match the engine exactly, tie-breaks included: the least
// saturated agent is the lowest exact load/limit (unlimited 0, suspended
// infinite), then idle longest, then the lower id; round-robin deals in id
// order after a cursor kept per agent set; waiting sessions are served by
// priority (higher first), arrival, then sequence; timers fire in
// (deadline, sequence) order, each at its own instant, before an operation
// does what it was asked; time never runs backwards; a rejected operation
// changes nothing but the clock, and the timer events it caused are
// returned first by the next successful call.
//
// Offers (E1) hold a unit of the agent's capacity; a session remembers
// its decliners (E2) and every automatic choice scans past them; the
// reassignment timer (E3) is one more deadline of a listed session;
// wrap-ups (E5) are records of their own with a deadline, in the same
// (deadline, sequence) order as the sessions' timers.
//
// Aging (E6) is the queue order's comparison: the virtual arrival
// arrived − priority·AgingStep, computed in big integers, then sequence.
// The queue cap (E8) is a count of the queued sessions when a new buyer
// would join; the maximum wait one more deadline of a queued session.
// An inactive session (E9) is a flag: the load counter leaves it out
// until the buyer writes or it leaves the list. Business hours (E11) are
// Policy.Open, asked at every arrival and hand-over. Widening (E7) is a
// count of rings open to a queued session, raised by its timer and reset
// when it leaves the queue; the agent sets that may take it are its
// group's, then the open rings' groups, inner first. A session's weight
// (E10) is fixed at arrival; the load counter and every room check count
// units.
//
// The model follows the rules, not the engine: five engine bugs were found
// this way (the no-queue order across pools, requeued sessions ignoring
// the strategy, a group's round-robin cursor forgotten when it emptied,
// offline validity counted from the first message, offered offline
// messages not counted toward the O5 batch) and fixed.
//
// A Shop is not safe for concurrent use.
package model
