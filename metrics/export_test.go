package metrics

import (
	"slices"
	"time"
)

// VerifyForTest checks the recorder's state as a whole (what Restore
// checks of a snapshot).
func VerifyForTest(r *Recorder) error { return r.verify() }

// MutateForTest corrupts one piece of the recorder's state, keeping it
// consistent, so that tests can show their comparisons are not vacuous:
//
//   - "hour": one more human reception in the latest kept day's hour 12;
//   - "wait": every open session waiting for a reply has waited a minute
//     less.
func MutateForTest(r *Recorder, what string) {
	switch what {
	case "hour":
		var last *day
		for _, d := range r.days {
			if last == nil || last.date.Before(d.date) {
				last = d
			}
		}
		last.hours[12].Human++
		last.total.Human++
	case "wait":
		for _, s := range r.sessions {
			if s.unreplied {
				s.waitSince += instant(time.Minute)
			}
		}
	default:
		panic("MutateForTest: " + what)
	}
}

// DaysForTest returns the number of day buckets the recorder keeps.
func DaysForTest(r *Recorder) int { return len(r.days) }

// AgentsForTest returns the ids of the agents whose state the recorder
// keeps, sorted.
func AgentsForTest(r *Recorder) []string {
	ids := make([]string, 0, len(r.agents))
	for id := range r.agents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
