package queue_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/queue"
)

// Sessions are served by priority (higher first), then by when the buyer
// asked, then by arrival sequence (rule Q2).
func ExamplePool() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := queue.New()
	var seq uint64
	push := func(id string, prio int, at time.Time) *queue.Entry {
		seq++
		e := &queue.Entry{ID: id, Priority: prio, Arrived: ns(at), Seq: seq}
		if err := p.Push(e); err != nil {
			panic(err)
		}
		return e
	}
	push("late", 0, t0.Add(2*time.Minute))
	push("early", 0, t0)
	push("vip", 1, t0.Add(5*time.Minute))
	push("same-instant", 0, t0) // asked at t0 too, but reached the shop after "early"

	for e := range p.All() {
		fmt.Println(e.ID)
	}
	// Output:
	// vip
	// early
	// same-instant
	// late
}

// A waiting buyer can learn their place in line and the queue length (Q3).
func ExamplePool_Position() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := queue.New()
	a := &queue.Entry{ID: "a", Arrived: ns(t0), Seq: 1}
	b := &queue.Entry{ID: "b", Arrived: ns(t0.Add(time.Minute)), Seq: 2}
	c := &queue.Entry{ID: "c", Arrived: ns(t0.Add(2 * time.Minute)), Seq: 3}
	for _, e := range []*queue.Entry{a, b, c} {
		_ = p.Push(e)
	}
	pos, _ := p.Position(c)
	fmt.Printf("you are number %d of %d\n", pos, p.Len())

	p.Delete(b) // b left the queue
	pos, _ = p.Position(c)
	fmt.Printf("you are number %d of %d\n", pos, p.Len())

	_, ok := p.Position(b)
	fmt.Println("b waiting:", ok)
	// Output:
	// you are number 3 of 3
	// you are number 2 of 2
	// b waiting: false
}

// PopMin takes the head of the line when an agent has room (C5, Q1).
func ExamplePool_PopMin() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := queue.New()
	_ = p.Push(&queue.Entry{ID: "s1", Arrived: ns(t0), Seq: 1})
	_ = p.Push(&queue.Entry{ID: "s2", Arrived: ns(t0), Seq: 2})

	for {
		e, ok := p.PopMin()
		if !ok {
			break
		}
		fmt.Println("assign", e.ID)
	}
	fmt.Println("left:", p.Len())
	// Output:
	// assign s1
	// assign s2
	// left: 0
}

// Push refuses a second entry with the same key, and nil.
func ExamplePool_Push() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := queue.New()
	fmt.Println(p.Push(&queue.Entry{ID: "s1", Arrived: ns(t0), Seq: 1}))
	err := p.Push(&queue.Entry{ID: "s9", Arrived: ns(t0), Seq: 1})
	fmt.Println(errors.Is(err, queue.ErrDuplicate), err)
	fmt.Println(errors.Is(p.Push(nil), queue.ErrNilEntry))
	// Output:
	// <nil>
	// true queue: duplicate entry: "s9" has the key of "s1"
	// true
}

// Aging (rule E6): in a pool ordered with Aging, a waiting entry gains
// one priority level per Aging it has waited. x (priority 0, 09:00) has
// reached level 2 when y (priority 1) arrives at 09:02, so x goes first;
// z (priority 1, 09:00:30) came before x reached level 1 and stays ahead.
// Each entry's place is its virtual arrival, Arrived − Priority·Aging,
// so the order never changes as time passes. Without aging (New), Q2
// serves both priority-1 buyers first.
func ExampleNewOrdered() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	entries := []queue.Entry{
		{ID: "x", Priority: 0, Arrived: ns(t0), Seq: 1},
		{ID: "z", Priority: 1, Arrived: ns(t0.Add(30 * time.Second)), Seq: 2},
		{ID: "y", Priority: 1, Arrived: ns(t0.Add(2 * time.Minute)), Seq: 3},
	}
	for _, p := range []*queue.Pool{queue.NewOrdered(queue.Order{Aging: time.Minute}), queue.New()} {
		for i := range entries {
			e := entries[i]
			_ = p.Push(&e)
		}
		fmt.Print("aging ", p.Order().Aging, ":")
		for e := range p.All() {
			fmt.Print(" ", e.ID)
		}
		fmt.Println()
	}
	// Output:
	// aging 1m0s: z x y
	// aging 0s: z y x
}
