package policy

import (
	"fmt"
	"reflect"
)

// Equal reports whether p and q are the same policy. Temporary: the JSON
// encoding replaces it with a comparison of encodings.
func (p Policy) Equal(q Policy) bool {
	zone := func(x *Policy) string {
		l := x.WithDefaults().Location
		n, off := l.String(), 0
		_, off = fmt.Sprint(n), 0
		return fmt.Sprint(n, off)
	}
	if zone(&p) != zone(&q) {
		return false
	}
	p.Location, q.Location = nil, nil
	return reflect.DeepEqual(p, q)
}
