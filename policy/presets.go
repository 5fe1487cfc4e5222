package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// ChinaStandardTime returns the time zone of the three platforms' shops:
// UTC+8, no daylight saving (a fixed zone, so no zone database is needed).
// Every call returns the same Location, so that a million shops' policies
// share one.
func ChinaStandardTime() *time.Location { return chinaStandardTime }

var chinaStandardTime = time.FixedZone("CST", 8*60*60)

// Kuaishou returns the behaviour Kuaishou documents for its sellers (seeds
// 000, 002):
//
//   - C1, C2: per-agent max reception, unlimited (不自动挂起, the default),
//     suspended (挂起) or 1..500 (KuaishouBounds);
//   - C4, C5, C6: manual assignment may exceed the cap; a close pulls the
//     queue head in at once;
//   - Q1, Q2: the queue pool, first come first served;
//   - O1, O2, O3: the offline queue pool, distributed as agents come online;
//   - O5: at most 20 offline-backlog sessions held by one agent at once
//     (its cap, if lower, binds first);
//   - L2: a session closes 20 minutes after the agent's or a system
//     auto-reply's last message if the buyer stays silent;
//   - S5: sessions stay with an agent who goes offline;
//   - R1: least-saturated routing.
//
// The shop is in China Standard Time.
func Kuaishou() Policy {
	return Policy{
		Strategy:       LeastSaturated,
		Capacity:       agent.KuaishouBounds(),
		BuyerIdleClose: 20 * time.Minute,
		OfflineBatch:   20,
		Location:       ChinaStandardTime(),
	}
}

// Douyin returns the behaviour Douyin's Feige console documents (seeds
// 001, 004):
//
//   - C1, C3: max reception up to 200, with a warning below 5
//     (DouyinBounds); no "unlimited" or "suspend" modes;
//   - S1-S5: online, break and offline; transfers to online or on-break
//     agents; sessions stay with an agent who goes offline;
//   - Q1: the queue pool (a shop may switch to no-queue, Q4, with
//     NoQueue);
//   - O1, O2, O3: offline messages distributed to agents with room,
//     flagged, valid 7 days;
//   - L3: separate buyer and agent timeouts, which each shop configures:
//     the preset closes a session after 30 minutes of buyer silence and
//     leaves the agent timeout off;
//   - L4: the Feige list order; L6: three messages to a stranger;
//   - R1, R3: least-saturated routing, the transfer list by saturation.
//
// The shop is in China Standard Time. For a live stream, add BotWindows
// (B2), e.g. 60% of sessions to the bot from 19:00 to 23:00.
func Douyin() Policy {
	return Policy{
		Strategy:        LeastSaturated,
		Capacity:        agent.DouyinBounds(),
		OfflineValidity: DefaultOfflineValidity,
		BuyerIdleClose:  30 * time.Minute,
		DMLimit:         3,
		Location:        ChinaStandardTime(),
	}
}

// Taobao returns the behaviour Qianniu documents for priority reception
// crowds (seed 003):
//
//   - R1: recent contact first (最近联系人客服), else least saturated;
//   - P1: priority-crowd buyers skip the bot and the queue to an online,
//     non-suspended agent, over the cap if every one is full;
//   - P2: only at silver or gold team level (set TeamLevel, and update it
//     with Engine.SetTeamLevel when the platform re-rates on the 1st);
//   - P3: at most 10 crowds (fill Crowds); P4: membership from the next
//     local day; P5: no such agent → the bot, no prompt;
//   - P6-P9: the prompt by mode and crowd, lit entries only, once per
//     buyer per 8 hours, not for the recent contact with the queue off;
//   - P10: crowd priority excludes exclusive-agent priority;
//   - Q1, Q2: the queue pool.
//
// Qianniu's own capacity bounds are not in the documents; the preset
// accepts 1..500 like Kuaishou. The shop is in China Standard Time.
func Taobao() Policy {
	return Policy{
		Strategy: RecentContact,
		Capacity: agent.KuaishouBounds(),
		Location: ChinaStandardTime(),
	}
}

// ErrUnknownPreset is wrapped by the error [Preset] returns for a name it
// does not know.
var ErrUnknownPreset = errors.New("policy: unknown preset")

// presets maps each preset's name to its constructor; PresetNames lists
// the keys in order.
var presets = map[string]func() Policy{
	"douyin":   Douyin,
	"kuaishou": Kuaishou,
	"taobao":   Taobao,
}

// presetNames is PresetNames' answer, sorted.
var presetNames = []string{"douyin", "kuaishou", "taobao"}

// Preset returns the preset policy of that name: "kuaishou" ([Kuaishou]),
// "douyin" ([Douyin]) or "taobao" ([Taobao]), lower-case, as a host names
// a shop's platform in its configuration. Each call returns a new value;
// its Location is the one shared ChinaStandardTime zone. An unknown name returns an error
// that wraps ErrUnknownPreset and lists the known names.
func Preset(name string) (Policy, error) {
	if f, ok := presets[name]; ok {
		return f(), nil
	}
	return Policy{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownPreset, name, strings.Join(presetNames, ", "))
}

// PresetNames returns the names [Preset] knows, sorted. The slice is the
// caller's.
func PresetNames() []string { return append([]string(nil), presetNames...) }
