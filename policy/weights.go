package policy

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Weight is what a session of one kind costs of an agent's capacity (E10
// weighted capacity, Salesforce Omni-Channel's capacity units): Units
// units instead of 1. Kind is matched exactly against the kind the host
// gives an arriving session (dispatch.Arrival.Kind).
type Weight struct {
	Kind  string
	Units int
}

// MaxWeightUnits bounds Weight.Units: a session may cost at most this
// many units of capacity (an agent whose cap is below it never takes such
// a session automatically; a person may still assign it, C4).
const MaxWeightUnits = 100

// MaxWeights bounds len(Policy.Weights): the kinds are looked up, one by
// one, when a session arrives.
const MaxWeights = 50

// UnitsOf returns the units of capacity a session of kind costs (E10):
// the Units of its entry in p.Weights, or 1 for a kind not listed and for
// the empty kind. Cost O(len(p.Weights)).
func (p Policy) UnitsOf(kind string) int {
	if kind == "" {
		return 1
	}
	for _, w := range p.Weights {
		if w.Kind == kind {
			return w.Units
		}
	}
	return 1
}

// validateWeights checks Weights (E10): at most MaxWeights, each kind
// non-empty and listed once, each weight 1..MaxWeightUnits units.
func (p Policy) validateWeights() error {
	if len(p.Weights) > MaxWeights {
		return &FieldError{Field: "Weights", Err: fmt.Errorf("%d kinds, at most %d", len(p.Weights), MaxWeights)}
	}
	for i, w := range p.Weights {
		switch {
		case w.Kind == "":
			return &FieldError{Field: fmt.Sprintf("Weights[%d].Kind", i), Err: errors.New("empty kind")}
		case w.Units < 1 || w.Units > MaxWeightUnits:
			return &FieldError{Field: fmt.Sprintf("Weights[%d].Units", i), Err: fmt.Errorf("%d outside 1..%d", w.Units, MaxWeightUnits)}
		}
		for _, v := range p.Weights[:i] {
			if v.Kind == w.Kind {
				return &FieldError{Field: fmt.Sprintf("Weights[%d].Kind", i), Err: fmt.Errorf("%q listed twice", w.Kind)}
			}
		}
	}
	return nil
}

// weightJSON is a Weight on the wire: {"kind":"after-sales","units":2}.
type weightJSON struct {
	Kind  string `json:"kind,omitempty"`
	Units int    `json:"units,omitempty"`
}

// encodeWeights returns the wire form of ws, in their order (a slice,
// not a map, so that the encoding is deterministic), refusing a kind
// that is not valid UTF-8.
func encodeWeights(ws []Weight) ([]weightJSON, error) {
	var out []weightJSON
	for i, w := range ws {
		if !utf8.ValidString(w.Kind) {
			return nil, &FieldError{Field: fmt.Sprintf("Weights[%d].Kind", i), Err: fmt.Errorf("%q is not UTF-8", w.Kind)}
		}
		out = append(out, weightJSON(w))
	}
	return out, nil
}

// decodeWeights is encodeWeights backwards; nil for none.
func decodeWeights(ws []weightJSON) []Weight {
	var out []Weight
	for _, w := range ws {
		out = append(out, Weight(w))
	}
	return out
}
