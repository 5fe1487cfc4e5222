// Command simulate plays one day of a Douyin (抖音) live-stream shop's
// customer-service desk on the real dispatch engine, on simulated time, and
// prints what buyers and agents saw hour by hour: arrivals, served,
// abandoned, P(wait), average speed of answer, the share answered within
// 180 s, the longest queue and the agents' occupancy.
//
// The day is 2026-11-11 (Double 11) in China time. Buyers arrive as a
// Poisson stream whose rate follows the hour — quiet at night, busy in the
// afternoon, a peak during the evening live stream from 19:00 to 23:00.
// Chats last a log-normal 10 minutes on average; each agent holds up to 5
// at once (max reception, rule C1); a buyer still queued after an
// exponential 4 minutes on average gives up. The shop runs policy.Douyin()
// with the session timeouts off: the simulator closes each chat when it
// ends. The staffing plan is thin at the peak on purpose.
//
// After the table it prints, for reference, the Erlang C staffing per hour
// for 80% answered within 180 s if each agent took one chat at a time: with
// 5 chats per agent Erlang C does not apply, and the gap shows what
// concurrency buys.
//
// Usage:
//
//	go run ./examples/simulate [-svg day.svg] [-seed 1]
//
// -svg writes a chart of the queue length and the agents online over the
// day. The output depends on the seed alone: the program never reads the
// wall clock.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(2)
	}
}

// arrivals are the buyers per hour, 00:00 to 23:00: the live stream
// brings the evening peak.
var arrivals = []float64{
	60, 30, 15, 10, 8, 10, 20, 40, 80, 120, 150, 160,
	140, 130, 150, 160, 150, 140, 200, 480, 620, 650, 520, 180,
}

// staffing is the agents online per hour.
var staffing = []int{
	3, 2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7,
	6, 6, 7, 7, 7, 6, 9, 16, 20, 20, 18, 7,
}

// config is the simulated day.
func config(seed uint64) sim.Config {
	p := policy.Douyin()
	p.BuyerIdleClose, p.AgentIdleClose = 0, 0 // the simulator closes chats
	return sim.Config{
		Start:    time.Date(2026, 11, 11, 0, 0, 0, 0, policy.ChinaStandardTime()),
		Arrivals: arrivals,
		Staffing: staffing,
		Cap:      5,
		Service:  sim.LogNormal(10*time.Minute, 0.8),
		Patience: sim.Exponential(4 * time.Minute),
		Seed:     seed,
		Policy:   p,
	}
}

// run parses args, simulates the day and prints the report to w.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	svgPath := fs.String("svg", "", "write the queue and staffing chart (SVG) to this file")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(w, "usage: simulate [-svg file] [-seed n]")
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg := config(*seed)
	rep, err := sim.Run(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Douyin live-stream shop, %s (China time), seed %d\n",
		cfg.Start.Format("Monday 2006-01-02"), *seed)
	fmt.Fprintf(w, "chats: log-normal, mean %v, cv 0.8; up to %d at once per agent; buyers give up after %v on average\n\n",
		cfg.Service.Mean(), cfg.Cap, cfg.Patience.Mean())
	fmt.Fprint(w, rep)

	plan, err := sim.SuggestStaffing(cfg, 0.8)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nErlang C staffing for 80%% answered within %v, one chat per agent (a reference: with %d chats per agent Erlang C does not apply):\n",
		rep.AnswerWithin, cfg.Cap)
	for h := 0; h < len(plan); h += 8 {
		var cells []string
		for i := h; i < min(h+8, len(plan)); i++ {
			cells = append(cells, fmt.Sprintf("%02d:00 %3d", i, plan[i]))
		}
		fmt.Fprintln(w, "  "+strings.Join(cells, "  "))
	}
	total, planned := 0, 0
	for h := range plan {
		total += plan[h]
		planned += staffing[h%len(staffing)]
	}
	fmt.Fprintf(w, "agent-hours: %d planned with %d chats each; Erlang C with one chat each: %d\n", planned, cfg.Cap, total)

	if *svgPath != "" {
		f, err := os.Create(*svgPath)
		if err != nil {
			return err
		}
		if err := rep.WriteSVG(f); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(w, "chart written to %s\n", *svgPath)
	}
	return nil
}
