// Package policy holds a shop's dispatch rules as plain data: how to choose
// among agents with room (R1), whether sessions queue (Q1) or go straight to
// an agent over its cap (Q4), and what capacity settings the shop's platform
// accepts (C2, C3).
//
// A [Policy] is a value: build it, [Policy.Validate] it (the dispatch engine
// does so in its constructor), hand it to the engine. The zero Policy is
// valid: least-saturated routing, queue on, any capacity allowed.
//
// # Usage
//
//	p := policy.Policy{
//		Strategy: policy.RecentContact, // R1 sticky, falls back to least-saturated
//		NoQueue:  false,                // Q1: queue when everyone is full
//		Capacity: agent.KuaishouBounds(),
//	}
//	if err := p.Validate(); err != nil {
//		var fe *policy.FieldError // names the field at fault
//		...
//	}
//
// A shop on one of the three platforms starts from its preset, by
// constructor ([Kuaishou], [Douyin], [Taobao]) or by name from the host's
// configuration ([Preset], [PresetNames]). A field whose zero means a
// default (OfflineValidity, HistoryLimit, RecentContactTTL, BotIdleClose,
// Location) reads its effective value from [Policy.WithDefaults]; the
// policy itself keeps the zero, as the host wrote it.
//
// # Encoding
//
// A policy is data a host stores with its shop and writes into snapshots
// and op logs, so it has one JSON encoding ([Policy.MarshalJSON],
// [Policy.UnmarshalJSON]). It is a compatibility contract, version 1:
//
//   - One object; its keys are the fields' names in lower camel case, in
//     the order of the Policy declaration: "strategy", "noQueue",
//     "capacity", "offlineValidity", "buyerIdleClose", "agentIdleClose",
//     "offlineBatch", "requeueOnOffline", "dmLimit", "historyLimit",
//     "recentContactTTL", "location" and "zoneOffset", "botFirst",
//     "botWindows", "botIdleClose", "crowds", "teamLevel",
//     "priorityAtQueueHead", "groups", "groupFallback",
//     "offlineDiversion", "maxClockStep", "offerTimeout",
//     "offerTimeoutStatus", "offerRetry", "reassignAfter",
//     "reassignLimit", "reassignOnOffline", "wrapUp", "agingStep",
//     "hours". The capacity bounds are an object {"min", "max",
//     "warnBelow", "noUnlimited", "noSuspend"}; a window is {"start",
//     "end", "share"}, a crowd {"id", "member"}, a group {"id",
//     "crowds"}. Business hours are {"week", "overrides", "outside"}:
//     the week an object of the days with spans, "sunday" to "saturday",
//     each a list of spans {"start", "end"}; an override {"date",
//     "spans"}, the date as "2026-10-01". Hours that are set but empty
//     (always closed) are {}, unlike no Hours (always open), omitted.
//   - A field at its zero value is omitted, at every level, so the zero
//     Policy is {} and an omitted field keeps its zero's documented
//     meaning (a default, never, off). Nil and empty lists are alike.
//   - Enums are written by name: Strategy "least-saturated",
//     "round-robin", "recent-contact"; TeamLevel "none", "bronze",
//     "silver", "gold"; OfflineDiversion "pool", "bot";
//     OfferTimeoutStatus "break", "offline"; Hours.Outside "offline",
//     "bot" (their MarshalText).
//   - Durations, the Start and End of windows and spans included, are
//     strings as time.Duration.String writes them ("20m0s"), read with
//     time.ParseDuration. A window's share is a JSON number.
//   - The time zone (P4's days, B2's windows, E11's hours) is "location": the IANA name
//     ("Asia/Shanghai", "UTC") when time.LoadLocation finds the same zone
//     under it; otherwise, for a fixed zone (time.FixedZone, like the
//     presets' [ChinaStandardTime]), its name and "zoneOffset", seconds
//     east of UTC: "location":"CST","zoneOffset":28800. A fixed zone named
//     like a database zone it differs from ("UTC" an hour east) keeps its
//     offset. A nil Location is omitted; "UTC" decodes to time.UTC.
//
// Encoding is canonical: one policy, one sequence of bytes; bytes
// MarshalJSON wrote decode to a policy [Policy.Equal] to it, which encodes
// to the same bytes again. Decoding also accepts non-canonical input
// (spacing, key order, "20m" for "20m0s", zeros written out) and
// normalises it. It refuses unknown keys, data after the object and any
// policy [Policy.Validate] refuses; every error wraps [ErrInvalid], and
// names the field in a [FieldError] where one is at fault. testdata/presets
// pins the presets' encodings.
//
// MarshalJSON validates, and refuses what it could not write faithfully:
// time.Local (the machine's zone, which names no zone on another
// machine: use time.LoadLocation), a zone neither in the database under
// its name nor fixed, a fixed zone a day or more from UTC, and strings
// that are not UTF-8. Zone names are looked up when encoding and
// decoding; a host whose machines have no zone database imports
// time/tzdata.
//
// The bytes carry no version number (the zero Policy stays {}): a
// snapshot or op log that holds a policy records its own format version.
// Version 1 grows only by new keys for new fields, omitted at their zero,
// so every earlier encoding still decodes to the same policy; a reader
// older than a key refuses it as unknown rather than ignore a rule it
// cannot apply.
package policy
