package policy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/presets")

var (
	_ json.Marshaler   = policy.Policy{}
	_ json.Unmarshaler = (*policy.Policy)(nil)
)

// fullPolicy sets every field of Policy to a non-zero value, in the order
// of the declaration.
func fullPolicy() policy.Policy {
	return policy.Policy{
		Strategy:            policy.RoundRobin,
		NoQueue:             true,
		Capacity:            agent.DouyinBounds(),
		OfflineValidity:     48 * time.Hour,
		BuyerIdleClose:      20 * time.Minute,
		AgentIdleClose:      3*time.Minute + 30*time.Second,
		OfflineBatch:        20,
		RequeueOnOffline:    true,
		DMLimit:             3,
		HistoryLimit:        50,
		RecentContactTTL:    7 * 24 * time.Hour,
		Location:            time.FixedZone("LMT", 5*3600+30*60+17), // seconds too
		BotFirst:            true,
		BotWindows:          []policy.Window{{Start: 30 * time.Minute, End: 2 * time.Hour, Share: 1}, {Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}},
		BotIdleClose:        10 * time.Minute,
		Crowds:              []policy.Crowd{{ID: "members", Member: true}, {ID: "big-spenders"}},
		TeamLevel:           policy.LevelGold,
		PriorityAtQueueHead: true,
		Groups:              []policy.Group{{ID: "vip", Crowds: []string{"members"}}},
		GroupFallback:       true,
		OfflineDiversion:    policy.OfflineToBot,
		MaxClockStep:        24 * time.Hour,
		OfferTimeout:        2 * time.Minute,
		OfferTimeoutStatus:  agent.Break,
		OfferRetry:          true,
		ReassignAfter:       3 * time.Minute,
		ReassignLimit:       2,
		WrapUp:              30 * time.Second,
		AgingStep:           2 * time.Minute,
		QueueCap:            50,
		MaxWait:             10 * time.Minute,
		Divert:              policy.DivertBot,
		InactiveAfter:       10 * time.Minute,
		Hours:               fullHours(),
		Weights:             []policy.Weight{{Kind: "after-sales", Units: 2}, {Kind: "presale", Units: 1}},
		// ReassignOnOffline excludes RequeueOnOffline (S5, E4): see
		// TestJSON_ReassignOnOffline.
	}
}

// fullHours sets every field of Hours: a week with a closed day (Monday), a
// span from midnight and one to midnight, a holiday and special hours.
func fullHours() *policy.Hours {
	day := []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	return &policy.Hours{
		Week: [7][]policy.Span{
			time.Sunday:    {{Start: 0, End: 2 * time.Hour}},
			time.Tuesday:   day,
			time.Wednesday: day,
			time.Thursday:  day,
			time.Friday:    {{Start: 20 * time.Hour, End: 24 * time.Hour}, {Start: 9 * time.Hour, End: 18 * time.Hour}},
			time.Saturday:  {{Start: 10*time.Hour + 30*time.Minute, End: 14 * time.Hour}},
		},
		Overrides: []policy.DayHours{
			{Date: "2026-12-25"},
			{Date: "2026-12-24", Spans: []policy.Span{{Start: 9 * time.Hour, End: 12 * time.Hour}}},
		},
		Outside: policy.OutsideToBot,
	}
}

// exclusive are the fields fullPolicy leaves zero because a field it sets
// excludes them.
var exclusive = map[string]bool{"ReassignOnOffline": true}

const fullJSON = `{"strategy":"round-robin","noQueue":true,` +
	`"capacity":{"min":1,"max":200,"warnBelow":5,"noUnlimited":true,"noSuspend":true},` +
	`"offlineValidity":"48h0m0s","buyerIdleClose":"20m0s","agentIdleClose":"3m30s",` +
	`"offlineBatch":20,"requeueOnOffline":true,"dmLimit":3,"historyLimit":50,"recentContactTTL":"168h0m0s",` +
	`"location":"LMT","zoneOffset":19817,"botFirst":true,` +
	`"botWindows":[{"start":"30m0s","end":"2h0m0s","share":1},{"start":"19h0m0s","end":"23h0m0s","share":0.6}],` +
	`"botIdleClose":"10m0s","crowds":[{"id":"members","member":true},{"id":"big-spenders"}],` +
	`"teamLevel":"gold","priorityAtQueueHead":true,"groups":[{"id":"vip","crowds":["members"]}],` +
	`"groupFallback":true,"offlineDiversion":"bot","maxClockStep":"24h0m0s",` +
	`"offerTimeout":"2m0s","offerTimeoutStatus":"break","offerRetry":true,"reassignAfter":"3m0s","reassignLimit":2,"wrapUp":"30s",` +
	`"agingStep":"2m0s","queueCap":50,"maxWait":"10m0s","divert":"bot","inactiveAfter":"10m0s",` +
	`"hours":{"week":{"sunday":[{"end":"2h0m0s"}],"tuesday":[{"start":"9h0m0s","end":"18h0m0s"}],` +
	`"wednesday":[{"start":"9h0m0s","end":"18h0m0s"}],"thursday":[{"start":"9h0m0s","end":"18h0m0s"}],` +
	`"friday":[{"start":"20h0m0s","end":"24h0m0s"},{"start":"9h0m0s","end":"18h0m0s"}],` +
	`"saturday":[{"start":"10h30m0s","end":"14h0m0s"}]},` +
	`"overrides":[{"date":"2026-12-25"},{"date":"2026-12-24","spans":[{"start":"9h0m0s","end":"12h0m0s"}]}],` +
	`"outside":"bot"},` +
	`"weights":[{"kind":"after-sales","units":2},{"kind":"presale","units":1}]}`

// Every field has its stable name and form, and comes back as it was.
func TestJSON_EveryFieldRoundTrips(t *testing.T) {
	p := fullPolicy()
	require.NoError(t, p.Validate())
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		if exclusive[v.Type().Field(i).Name] {
			require.True(t, v.Field(i).IsZero(), "%s", v.Type().Field(i).Name)
			continue
		}
		require.False(t, v.Field(i).IsZero(), "fullPolicy leaves %s zero: set it, and add it to fullJSON", v.Type().Field(i).Name)
	}

	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, fullJSON, string(b))
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &keys))
	assert.Len(t, keys, v.NumField()+1-len(exclusive), "one key per field, and zoneOffset")

	var back policy.Policy
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, p, back)
	assert.True(t, p.Equal(back))
	again, err := back.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again), "deterministic")
}

// The third S5 mode (E4), which fullPolicy cannot set beside
// RequeueOnOffline, has its name and comes back; the two together are
// refused.
func TestJSON_ReassignOnOffline(t *testing.T) {
	p := policy.Policy{ReassignOnOffline: true}
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"reassignOnOffline":true}`, string(b))
	var back policy.Policy
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, p, back)
	err = back.UnmarshalJSON([]byte(`{"reassignOnOffline":true,"requeueOnOffline":true}`))
	var fe *policy.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ReassignOnOffline", fe.Field)
}

// A group's queue cap, maximum wait (E8) and rings (E7), which fullPolicy
// cannot set beside GroupFallback, have their keys and come back; bad
// rings are refused naming the field.
func TestJSON_GroupShaping(t *testing.T) {
	p := policy.Policy{Groups: []policy.Group{
		{ID: "vip", Crowds: []string{"members"}, QueueCap: 3, MaxWait: 2 * time.Minute,
			Rings: []policy.Ring{{After: time.Minute, Groups: []string{"gen"}}, {After: 5 * time.Minute, Groups: []string{"night"}}}},
		{ID: "gen"}, {ID: "night"}}}
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"groups":[{"id":"vip","crowds":["members"],"queueCap":3,"maxWait":"2m0s",`+
		`"rings":[{"after":"1m0s","groups":["gen"]},{"after":"5m0s","groups":["night"]}]},{"id":"gen"},{"id":"night"}]}`, string(b))
	var back policy.Policy
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, p, back)
	assert.True(t, p.Equal(back))
	for _, c := range []struct{ in, field string }{
		{`{"groups":[{"id":"a","rings":[{"after":"1m","groups":["b"]}]},{"id":"b"}],"groupFallback":true}`, "Groups[0].Rings"},
		{`{"groups":[{"id":"a","rings":[{"after":"2m","groups":["b"]},{"after":"1m","groups":["c"]}]},{"id":"b"},{"id":"c"}]}`, "Groups[0].Rings[1].After"},
		{`{"groups":[{"id":"a","rings":[{"after":"1m","groups":["a"]}]}]}`, "Groups[0].Rings[0].Groups"},
		{`{"groups":[{"id":"a","rings":[{"after":"1m","groups":["zzz"]}]}]}`, "Groups[0].Rings[0].Groups"},
		{`{"groups":[{"id":"a","rings":[{"after":"1m"}]}]}`, "Groups[0].Rings[0].Groups"},
		{`{"groups":[{"id":"a","rings":[{"after":"1m","groups":["b"]},{"after":"2m","groups":["b"]}]},{"id":"b"}]}`, "Groups[0].Rings[1].Groups"},
		{`{"groups":[{"id":"a","rings":[{"after":"1m","groups":["b"]},{"after":"2m","groups":["c"]},{"after":"3m","groups":["d"]},` +
			`{"after":"4m","groups":["e"]},{"after":"5m","groups":["f"]},{"after":"6m","groups":["g"]},{"after":"7m","groups":["h"]}]},` +
			`{"id":"b"},{"id":"c"},{"id":"d"},{"id":"e"},{"id":"f"},{"id":"g"},{"id":"h"}]}`, "Groups[0].Rings"},
		{`{"groups":[{"id":"a","queueCap":-1}]}`, "Groups[0]"},
	} {
		var q policy.Policy
		err := q.UnmarshalJSON([]byte(c.in))
		var fe *policy.FieldError
		require.ErrorAs(t, err, &fe, c.in)
		assert.Equal(t, c.field, fe.Field, c.in)
		require.ErrorIs(t, err, policy.ErrInvalid)
	}
}

// The zero Policy is {}; {} is the zero Policy.
func TestJSON_ZeroPolicy(t *testing.T) {
	b, err := policy.Policy{}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b))
	p := fullPolicy()
	require.NoError(t, p.UnmarshalJSON([]byte("{}")))
	assert.Equal(t, policy.Policy{}, p, "every field is replaced, not merged")
}

// The time zone (P4 days, B2 windows): an IANA zone by name, a fixed zone
// by name and offset; each comes back as the same zone.
func TestJSON_Location(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	tests := []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"nil", nil, `{}`},
		{"UTC", time.UTC, `{"location":"UTC"}`},
		{"IANA", shanghai, `{"location":"Asia/Shanghai"}`},
		{"IANA with a half hour", kolkata, `{"location":"Asia/Kolkata"}`},
		{"the presets' CST", policy.ChinaStandardTime(), `{"location":"CST","zoneOffset":28800}`},
		{"fixed with seconds", time.FixedZone("IST", 19800+17), `{"location":"IST","zoneOffset":19817}`},
		{"fixed west", time.FixedZone("BRT", -3*3600), `{"location":"BRT","zoneOffset":-10800}`},
		{"fixed, unnamed", time.FixedZone("", 3600), `{"location":"","zoneOffset":3600}`},
		{"fixed at 0", time.FixedZone("Z0", 0), `{"location":"Z0","zoneOffset":0}`},
		{"fixed UTC is UTC", time.FixedZone("UTC", 0), `{"location":"UTC"}`},
		{"a fixed zone named like another keeps its offset", time.FixedZone("UTC", 3600), `{"location":"UTC","zoneOffset":3600}`},
		{"named like an IANA zone with transitions", time.FixedZone("Asia/Shanghai", 8*3600), `{"location":"Asia/Shanghai","zoneOffset":28800}`},
		{"an IANA fixed zone under another abbreviation", time.FixedZone("Etc/GMT-8", 8*3600), `{"location":"Etc/GMT-8","zoneOffset":28800}`},
	}
	instants := []time.Time{time.Unix(0, 0), time.Date(1988, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 11, 20, 30, 0, 0, time.UTC)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy.Policy{Location: tt.loc}
			b, err := p.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
			var back policy.Policy
			require.NoError(t, back.UnmarshalJSON(b))
			assert.True(t, p.Equal(back))
			if tt.loc == nil {
				assert.Nil(t, back.Location)
				return
			}
			assert.Equal(t, tt.loc.String(), back.Location.String())
			for _, at := range instants {
				n1, o1 := at.In(tt.loc).Zone()
				n2, o2 := at.In(back.Location).Zone()
				assert.Equal(t, o1, o2, "offset at %v", at)
				assert.Equal(t, n1, n2, "abbreviation at %v", at)
			}
		})
	}
	var p policy.Policy
	require.NoError(t, p.UnmarshalJSON([]byte(`{"location":"UTC"}`)))
	assert.Same(t, time.UTC, p.Location, `"UTC" is time.UTC`)
}

// Input need not be canonical; it decodes, and encodes canonically.
func TestJSON_NonCanonicalInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{" {\n} \n", `{}`},
		{`{"buyerIdleClose":"20m"}`, `{"buyerIdleClose":"20m0s"}`},
		{`{"buyerIdleClose":"1200s"}`, `{"buyerIdleClose":"20m0s"}`},
		{`{"buyerIdleClose":"0s","offlineBatch":0,"noQueue":false,"crowds":[],"groups":null,"capacity":{}}`, `{}`},
		{`{"strategy":"least-saturated","teamLevel":"none","offlineDiversion":"pool"}`, `{}`},
		{`{"dmLimit":3,"strategy":"round-robin"}`, `{"strategy":"round-robin","dmLimit":3}`},
		{`{"location":"UTC","zoneOffset":0}`, `{"location":"UTC"}`},
		{`{"location":"Etc/UTC"}`, `{"location":"Etc/UTC"}`},
		{`{"botWindows":[{"end":"1h","share":0.50}]}`, `{"botWindows":[{"end":"1h0m0s","share":0.5}]}`},
		{`{"groups":[{"id":"g","crowds":[]}]}`, `{"groups":[{"id":"g"}]}`},
		{`{"crowds":[{"id":"\u003cvip\u003e"}]}`, `{"crowds":[{"id":"\u003cvip\u003e"}]}`},
		{`{"crowds":[{"id":"<vip>"}]}`, `{"crowds":[{"id":"\u003cvip\u003e"}]}`},
	}
	for _, tt := range tests {
		var p policy.Policy
		require.NoError(t, p.UnmarshalJSON([]byte(tt.in)), "%s", tt.in)
		b, err := p.MarshalJSON()
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b), "%s", tt.in)
	}
	p := fullPolicy()
	require.NoError(t, p.UnmarshalJSON([]byte(" null ")))
	assert.Equal(t, fullPolicy(), p, "null leaves the policy as it was")
}

// Bad input is an error wrapping ErrInvalid, naming the field where there
// is one, and leaves the policy as it was.
func TestJSON_BadInput(t *testing.T) {
	tests := []struct {
		name, in string
		field    string // "" for an error that is not a *FieldError
	}{
		{"empty", ``, ""},
		{"not JSON", `kefu`, ""},
		{"truncated", `{"noQueue":true`, ""},
		{"an array", `[]`, ""},
		{"a string", `"{}"`, ""},
		{"a number", `0`, ""},
		{"unknown field", `{"queue":false}`, ""},
		{"unknown nested field", `{"capacity":{"maximum":5}}`, ""},
		{"trailing object", `{}{}`, ""},
		{"trailing brace", `{}}`, ""},
		{"trailing garbage", `{} x`, ""},
		{"wrong type", `{"noQueue":"yes"}`, ""},
		{"float count", `{"dmLimit":2.5}`, ""},
		{"count beyond int", `{"dmLimit":1e99}`, ""},
		{"unknown strategy", `{"strategy":"fastest"}`, "Strategy"},
		{"strategy by number", `{"strategy":1}`, ""},
		{"strategy in capitals", `{"strategy":"Round-Robin"}`, "Strategy"},
		{"unknown level", `{"teamLevel":"platinum"}`, "TeamLevel"},
		{"unknown diversion", `{"offlineDiversion":"queue"}`, "OfflineDiversion"},
		{"duration in days", `{"offlineValidity":"7d"}`, "OfflineValidity"},
		{"duration as a number", `{"buyerIdleClose":1200}`, ""},
		{"duration overflow", `{"maxClockStep":"9999999999h"}`, "MaxClockStep"},
		{"negative duration", `{"agentIdleClose":"-1m"}`, "AgentIdleClose"},
		{"negative clock step", `{"maxClockStep":"-1ns"}`, "MaxClockStep"},
		{"negative bot idle", `{"botIdleClose":"-1s"}`, "BotIdleClose"},
		{"bad window start", `{"botWindows":[{"start":"7pm","end":"23h"}]}`, "BotWindows[0].Start"},
		{"inverted window", `{"botWindows":[{"start":"23h","end":"19h"}]}`, "BotWindows[0]"},
		{"share above 1", `{"botWindows":[{"end":"1h","share":1.5}]}`, "BotWindows[0].Share"},
		{"C2: bad bounds", `{"capacity":{"min":10,"max":5}}`, "Capacity"},
		{"P3: 11 crowds", `{"crowds":[{"id":"0"},{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"},{"id":"5"},{"id":"6"},{"id":"7"},{"id":"8"},{"id":"9"},{"id":"10"}]}`, "Crowds"},
		{"empty crowd id", `{"crowds":[{"member":true}]}`, "Crowds[0].ID"},
		{"duplicate group", `{"groups":[{"id":"g"},{"id":"g"}]}`, "Groups[1].ID"},
		{"unknown zone", `{"location":"Mars/Olympus_Mons"}`, "Location"},
		{"zone path", `{"location":"../../etc/passwd"}`, "Location"},
		{"empty zone", `{"location":""}`, "Location"},
		{"machine's zone", `{"location":"Local"}`, "Location"},
		{"offset without zone", `{"zoneOffset":3600}`, "Location"},
		{"offset of a day", `{"location":"X","zoneOffset":86400}`, "Location"},
		{"offset beyond a day west", `{"location":"X","zoneOffset":-90000}`, "Location"},
		{"negative count", `{"historyLimit":-1}`, "HistoryLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fullPolicy()
			err := p.UnmarshalJSON([]byte(tt.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, policy.ErrInvalid)
			var fe *policy.FieldError
			if tt.field == "" {
				assert.NotErrorAs(t, err, &fe, "%v", err)
			} else if assert.ErrorAs(t, err, &fe, "%v", err) {
				assert.Equal(t, tt.field, fe.Field, "%v", err)
			}
			assert.Equal(t, fullPolicy(), p, "unchanged")
		})
	}
}

// MarshalJSON validates, and refuses what it cannot write faithfully.
func TestJSON_MarshalRefuses(t *testing.T) {
	tests := []struct {
		name  string
		p     policy.Policy
		field string
	}{
		{"invalid policy", policy.Policy{DMLimit: -1}, "DMLimit"},
		{"unknown strategy", policy.Policy{Strategy: 7}, "Strategy"},
		{"NaN share", policy.Policy{BotWindows: []policy.Window{{End: time.Hour, Share: math.NaN()}}}, "BotWindows[0].Share"},
		{"the machine's zone", policy.Policy{Location: time.Local}, "Location"},
		{"offset of a day", policy.Policy{Location: time.FixedZone("X", 24*3600)}, "Location"},
		{"crowd id not UTF-8", policy.Policy{Crowds: []policy.Crowd{{ID: "vip\xff"}}}, "Crowds[0].ID"},
		{"group id not UTF-8", policy.Policy{Groups: []policy.Group{{ID: "\xc3"}}}, "Groups[0].ID"},
		{"group crowd not UTF-8", policy.Policy{Groups: []policy.Group{{ID: "g", Crowds: []string{"ok", "\xff"}}}}, "Groups[0].Crowds[1]"},
		{"zone name not UTF-8", policy.Policy{Location: time.FixedZone("\xff", 0)}, "Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.p.MarshalJSON()
			assert.Nil(t, b)
			assert.ErrorIs(t, err, policy.ErrInvalid)
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			_, err = json.Marshal(tt.p)
			assert.ErrorIs(t, err, policy.ErrInvalid, "through encoding/json too")
		})
	}
}

// Equal compares encodings: nil and empty lists alike, zones by what they
// encode to.
func TestPolicy_Equal(t *testing.T) {
	shanghai1, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	shanghai2, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	tests := []struct {
		name string
		p, q policy.Policy
		want bool
	}{
		{"zero", policy.Policy{}, policy.Policy{}, true},
		{"full", fullPolicy(), fullPolicy(), true},
		{"nil and empty lists", policy.Policy{}, policy.Policy{Crowds: []policy.Crowd{}, BotWindows: []policy.Window{}, Groups: []policy.Group{}}, true},
		{"group crowds nil and empty", policy.Policy{Groups: []policy.Group{{ID: "g"}}}, policy.Policy{Groups: []policy.Group{{ID: "g", Crowds: []string{}}}}, true},
		{"a zone loaded twice", policy.Policy{Location: shanghai1}, policy.Policy{Location: shanghai2}, true},
		{"two CST values", policy.Kuaishou(), policy.Kuaishou(), true},
		{"UTC and a fixed UTC", policy.Policy{Location: time.UTC}, policy.Policy{Location: time.FixedZone("UTC", 0)}, true},
		{"nil zone is not UTC", policy.Policy{}, policy.Policy{Location: time.UTC}, false},
		{"same name, other offset", policy.Policy{Location: time.UTC}, policy.Policy{Location: time.FixedZone("UTC", 3600)}, false},
		{"fixed and IANA", policy.Policy{Location: policy.ChinaStandardTime()}, policy.Policy{Location: shanghai1}, false},
		{"one field", policy.Douyin(), func() policy.Policy { p := policy.Douyin(); p.DMLimit = 4; return p }(), false},
		{"order of crowds", policy.Policy{Crowds: []policy.Crowd{{ID: "a"}, {ID: "b"}}}, policy.Policy{Crowds: []policy.Crowd{{ID: "b"}, {ID: "a"}}}, false},
		{"defaults are not zeros", policy.Policy{}, policy.Policy{}.WithDefaults(), false},
		{"no encoding equals nothing", policy.Policy{Strategy: 9}, policy.Policy{Strategy: 9}, false},
		{"invalid but encodable", policy.Policy{DMLimit: -1}, policy.Policy{DMLimit: -1}, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.Equal(tt.q), tt.name)
		assert.Equal(t, tt.want, tt.q.Equal(tt.p), "%s, swapped", tt.name)
	}
}

// A policy inside a host's own JSON encodes and decodes through
// MarshalJSON and UnmarshalJSON.
func TestJSON_Embedded(t *testing.T) {
	type shop struct {
		ID     string         `json:"id"`
		Policy policy.Policy  `json:"policy"`
		Ptr    *policy.Policy `json:"ptr,omitempty"`
	}
	p := fullPolicy()
	b, err := json.Marshal(shop{ID: "s1", Policy: p, Ptr: &p})
	require.NoError(t, err)
	assert.Equal(t, `{"id":"s1","policy":`+fullJSON+`,"ptr":`+fullJSON+`}`, string(b))
	var back shop
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, p, back.Policy)
	assert.Equal(t, p, *back.Ptr)

	err = json.Unmarshal([]byte(`{"policy":{"strategy":"fastest"}}`), &back)
	assert.ErrorIs(t, err, policy.ErrInvalid)
}

// The presets' encodings are pinned in testdata/presets: a change to them
// is a change of the format. go test ./policy -run TestJSON_PresetsGolden
// -update rewrites the files.
func TestJSON_PresetsGolden(t *testing.T) {
	for _, name := range policy.PresetNames() {
		t.Run(name, func(t *testing.T) {
			p, err := policy.Preset(name)
			require.NoError(t, err)
			b, err := p.MarshalJSON()
			require.NoError(t, err)
			file := filepath.Join("testdata", "presets", name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
				require.NoError(t, os.WriteFile(file, append(b, '\n'), 0o644))
			}
			golden, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(golden), string(b)+"\n", "%s's encoding changed; if on purpose, run with -update", name)

			var back policy.Policy
			require.NoError(t, back.UnmarshalJSON(golden))
			assert.True(t, p.Equal(back))
			assert.Equal(t, p, back)
		})
	}
}

// Any bytes decode to an error or to a policy whose encoding decodes to
// an Equal policy and encodes again to the same bytes; the decoded
// policies agree field by field, their zones instant by instant.
func FuzzPolicyJSON(f *testing.F) {
	for _, name := range policy.PresetNames() {
		p, _ := policy.Preset(name)
		b, _ := p.MarshalJSON()
		f.Add(b)
	}
	full, _ := fullPolicy().MarshalJSON()
	f.Add(full)
	for _, s := range []string{
		`{}`, `null`, ``, `{`, `{}}`, `[]`, `{"queue":1}`, `{"strategy":"fastest"}`,
		`{"location":"Asia/Shanghai"}`, `{"location":"UTC","zoneOffset":3600}`, `{"location":"Local"}`,
		`{"zoneOffset":3600}`, `{"offlineValidity":"7d"}`, `{"botWindows":[{"start":"23h","end":"19h"}]}`,
		`{"capacity":{"min":10,"max":5}}`, `{"crowds":[{"id":"a"},{"id":"a"}]}`,
		`{"location":"Factory"}`, `{"location":"posixrules"}`, `{"location":"EST","zoneOffset":-18000}`,
		`{"location":"Etc/GMT+12"}`, `{"location":"","zoneOffset":86399}`, `{"LOCATION":"UTC"}`,
		`{"botWindows":[{"end":"1h","share":-0}]}`, `{"botWindows":[{"end":"1h","share":5e-324}]}`,
		`{"noQueue":true,"noQueue":false}`, `{"crowds":[{"id":"\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	instants := []time.Time{time.Unix(0, 0), time.Date(1988, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 11, 20, 30, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p policy.Policy
		if err := p.UnmarshalJSON(data); err != nil {
			require.ErrorIs(t, err, policy.ErrInvalid)
			return
		}
		b1, err := p.MarshalJSON()
		require.NoError(t, err, "%q decodes but does not encode", data)
		require.True(t, json.Valid(b1))
		var compact bytes.Buffer
		require.NoError(t, json.Compact(&compact, b1))
		require.Equal(t, string(b1), compact.String(), "compact")

		var q policy.Policy
		require.NoError(t, q.UnmarshalJSON(b1), "%s", b1)
		require.True(t, p.Equal(q), "%s", b1)
		b2, err := q.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(b1), string(b2), "canonical bytes reproduce themselves")

		// Beyond equal encodings: the same settings and the same zone.
		if p.Location != nil {
			require.NotNil(t, q.Location)
			for _, at := range instants {
				_, o1 := at.In(p.Location).Zone()
				_, o2 := at.In(q.Location).Zone()
				require.Equal(t, o1, o2, "%s: offset at %v", b1, at)
			}
		}
		p.Location, q.Location = nil, nil
		require.Equal(t, p, q, "%s", b1)
	})
}
