package dispatch

import (
	"testing"

	"github.com/kefu-dev/kefu/dispatch/internal/model"
)

// TestPlatformDriver checks the model the platform benchmarks' driver
// keeps of each shop against every implementation after a random run of
// the platform mix, at half load and then full (its position ops check
// every position on the way).
func TestPlatformDriver(t *testing.T) {
	platInit()
	shopIDs := ids("shop-", 4)
	reg := new(Shops)
	for _, impl := range platImpls {
		w := newPlatWorker(t0, 3)
		for i, id := range shopIDs {
			x := newPlatImpl(t, impl, reg, impl+id, platAgents, platCap, t0)
			p := newPlatShop(x, platAgents*platCap)
			for range p.cap / 2 {
				p.arrive(w)
			}
			for range 2000 {
				p.op(w)
			}
			for len(p.assigned)+len(p.waiting) < p.cap+5 {
				p.arrive(w)
			}
			for range 2000 {
				p.op(w)
			}
			open, waiting := len(p.assigned)+len(p.waiting), len(p.waiting)
			switch x := x.(type) {
			case kefuShop:
				_ = x.s.Read(func(e *Engine) {
					if e.Sessions() != open || e.QueueLen() != waiting {
						t.Fatalf("%s %d: %d open, %d waiting; the driver says %d, %d", impl, i, e.Sessions(), e.QueueLen(), open, waiting)
					}
					for _, id := range p.assigned {
						if info, ok := e.Session(id); !ok || info.Place != PlaceAgent {
							t.Fatalf("%s %d: %s is %v", impl, i, id, info.Place)
						}
					}
				})
				if err := x.s.Verify(); err != nil {
					t.Fatal(err)
				}
			case obviousShop:
				if o, q := x.s.Lens(); o != open || q != waiting {
					t.Fatalf("%s %d: %d open, %d waiting; the driver says %d, %d", impl, i, o, q, open, waiting)
				}
			case *completeShop:
				if x.s.Sessions() != open || x.s.QueueLen() != waiting {
					t.Fatalf("%s %d: %d open, %d waiting; the driver says %d, %d", impl, i, x.s.Sessions(), x.s.QueueLen(), open, waiting)
				}
				for _, id := range p.assigned {
					if info, ok := x.s.Session(id); !ok || info.Place != model.PlaceAgent {
						t.Fatalf("%s %d: %s is %v", impl, i, id, info.Place)
					}
				}
			default:
				t.Fatalf("%s: no check for %T", impl, x)
			}
		}
		if w.hits == 0 {
			t.Fatalf("%s: no leave found a waiting session", impl)
		}
	}
}
