package policy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/policy"
)

// E10: a session of a listed kind costs its units; any other kind, and
// no kind, costs 1.
func TestWeights_E10_UnitsOf(t *testing.T) {
	p := policy.Policy{Weights: []policy.Weight{{Kind: "after-sales", Units: 2}, {Kind: "refund", Units: 5}}}
	require.NoError(t, p.Validate())
	assert.Equal(t, 2, p.UnitsOf("after-sales"))
	assert.Equal(t, 5, p.UnitsOf("refund"))
	assert.Equal(t, 1, p.UnitsOf("presale"), "not listed")
	assert.Equal(t, 1, p.UnitsOf("After-Sales"), "matched exactly")
	assert.Equal(t, 1, p.UnitsOf(""))
	assert.Equal(t, 1, policy.Policy{}.UnitsOf("after-sales"), "no weights")
}

// E10: Validate refuses an empty or repeated kind, units outside
// 1..MaxWeightUnits and too many kinds, naming the field.
func TestWeights_E10_Validate(t *testing.T) {
	many := make([]policy.Weight, policy.MaxWeights+1)
	for i := range many {
		many[i] = policy.Weight{Kind: fmt.Sprint("k", i), Units: 2}
	}
	tests := []struct {
		name  string
		ws    []policy.Weight
		field string // "" for valid
	}{
		{"none", nil, ""},
		{"one", []policy.Weight{{Kind: "after-sales", Units: 2}}, ""},
		{"units 1 and max", []policy.Weight{{Kind: "a", Units: 1}, {Kind: "b", Units: policy.MaxWeightUnits}}, ""},
		{"max kinds", many[:policy.MaxWeights], ""},
		{"empty kind", []policy.Weight{{Kind: "a", Units: 2}, {Units: 2}}, "Weights[1].Kind"},
		{"repeated kind", []policy.Weight{{Kind: "a", Units: 2}, {Kind: "b", Units: 3}, {Kind: "a", Units: 2}}, "Weights[2].Kind"},
		{"zero units", []policy.Weight{{Kind: "a"}}, "Weights[0].Units"},
		{"negative units", []policy.Weight{{Kind: "a", Units: -2}}, "Weights[0].Units"},
		{"units above max", []policy.Weight{{Kind: "a", Units: policy.MaxWeightUnits + 1}}, "Weights[0].Units"},
		{"too many kinds", many, "Weights"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Policy{Weights: tt.ws}.Validate()
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, policy.ErrInvalid)
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field, "%v", err)
		})
	}
}

// E10 in JSON: a list in its order, each {"kind","units"}; omitted when
// empty; bad input named by field; a kind that is not UTF-8 refused.
func TestWeights_E10_JSON(t *testing.T) {
	p := policy.Policy{Weights: []policy.Weight{{Kind: "退货", Units: 3}, {Kind: "after-sales", Units: 2}}}
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"weights":[{"kind":"退货","units":3},{"kind":"after-sales","units":2}]}`, string(b))
	var back policy.Policy
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, p, back)

	b, err = policy.Policy{Weights: []policy.Weight{}}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b), "an empty list is no list")
	assert.True(t, policy.Policy{Weights: []policy.Weight{}}.Equal(policy.Policy{}))

	for in, field := range map[string]string{
		`{"weights":[{"units":2}]}`:                                   "Weights[0].Kind",
		`{"weights":[{"kind":"a","units":2},{"kind":"a","units":3}]}`: "Weights[1].Kind",
		`{"weights":[{"kind":"a"}]}`:                                  "Weights[0].Units",
		`{"weights":[{"kind":"a","units":101}]}`:                      "Weights[0].Units",
	} {
		var q policy.Policy
		err := q.UnmarshalJSON([]byte(in))
		var fe *policy.FieldError
		if assert.ErrorAs(t, err, &fe, in) {
			assert.Equal(t, field, fe.Field, in)
		}
		assert.ErrorIs(t, err, policy.ErrInvalid)
	}
	for _, in := range []string{`{"weights":{"a":2}}`, `{"weights":[{"kind":"a","units":2,"extra":1}]}`, `{"weights":[{"kind":"a","units":"2"}]}`} {
		var q policy.Policy
		assert.ErrorIs(t, q.UnmarshalJSON([]byte(in)), policy.ErrInvalid, in)
	}

	_, err = policy.Policy{Weights: []policy.Weight{{Kind: "a\xff", Units: 2}}}.MarshalJSON()
	var fe *policy.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Weights[0].Kind", fe.Field)
}
