package policy

import "fmt"

// marshalName returns names[v], or an error wrapping ErrInvalid when v has
// no name. what names the type in the error ("strategy").
func marshalName[T ~uint8](names []string, v T, what string) ([]byte, error) {
	if int(v) >= len(names) {
		return nil, fmt.Errorf("%w %s %d", ErrInvalid, what, uint8(v))
	}
	return []byte(names[v]), nil
}

// unmarshalName sets *v to the value whose name is text exactly, or
// returns an error wrapping ErrInvalid and leaves *v unchanged.
func unmarshalName[T ~uint8](names []string, v *T, text []byte, what string) error {
	for i, n := range names {
		if string(text) == n {
			*v = T(i)
			return nil
		}
	}
	return fmt.Errorf("%w %s %q", ErrInvalid, what, text)
}
