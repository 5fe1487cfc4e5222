package sim

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// Chart geometry, in SVG user units.
const (
	svgWidth, svgHeight = 960, 400
	padLeft, padRight   = 56, 24
	padTop, padBottom   = 44, 48
	maxPoints           = 2000 // longer timelines are merged by max
)

// WriteSVG writes a line chart of the timeline as a standalone SVG
// document: the longest queue of each step (blue) and the agents online
// (orange steps) over the simulated hours, with the hours on the x axis.
// It writes nothing else and needs no font or script.
func (r Report) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	pts := merge(r.Timeline)
	hours := len(r.Hours)
	top := 1
	for _, p := range pts {
		top = max(top, p.MaxQueue, p.Staffed)
	}
	top = niceCeil(top)
	plotW := float64(svgWidth - padLeft - padRight)
	plotH := float64(svgHeight - padTop - padBottom)
	span := float64(hours) * 3600
	if span == 0 {
		span = 1
	}
	x := func(d time.Duration) float64 { return padLeft + plotW*d.Seconds()/span }
	y := func(v int) float64 { return padTop + plotH*(1-float64(v)/float64(top)) }

	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgWidth, svgHeight)
	title := fmt.Sprintf("Queue length and agents online, from %s (cap %d per agent)",
		r.Start.Format("2006-01-02 15:04 MST"), r.Cap)
	fmt.Fprintf(bw, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", padLeft, escape(title))

	// Grid and y labels.
	ticks := 5
	for i := 0; i <= ticks; i++ {
		v := top * i / ticks
		fmt.Fprintf(bw, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n",
			padLeft, y(v), svgWidth-padRight, y(v))
		fmt.Fprintf(bw, `<text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n", padLeft-6, y(v)+4, v)
	}
	// x labels: every hour, or every few when there are many.
	every := max(1, (hours+23)/24)
	if hours > 24 {
		every = max(every, 6)
	}
	for h := 0; h <= hours; h += every {
		d := time.Duration(h) * time.Hour
		fmt.Fprintf(bw, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999"/>`+"\n",
			x(d), svgHeight-padBottom, x(d), svgHeight-padBottom+4)
		fmt.Fprintf(bw, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x(d), svgHeight-padBottom+18, r.Start.Add(d).Format("15"))
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle">hour</text>`+"\n",
		padLeft+int(plotW/2), svgHeight-8)
	fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n",
		padLeft, padTop, plotW, plotH)

	if len(pts) > 0 {
		// Agents online: a step line.
		var sb strings.Builder
		fmt.Fprintf(&sb, "%.1f,%.1f ", x(pts[0].At), y(pts[0].Staffed))
		for i, p := range pts[1:] {
			if prev := pts[i].Staffed; p.Staffed != prev {
				fmt.Fprintf(&sb, "%.1f,%.1f %.1f,%.1f ", x(p.At), y(prev), x(p.At), y(p.Staffed))
			}
		}
		fmt.Fprintf(&sb, "%.1f,%.1f", x(time.Duration(hours)*time.Hour), y(pts[len(pts)-1].Staffed))
		fmt.Fprintf(bw, `<polyline fill="none" stroke="#e67e22" stroke-width="2" points="%s"/>`+"\n", sb.String())

		// Queue: one point per step, at its middle.
		sb.Reset()
		half := r.Step / 2
		if len(pts) < len(r.Timeline) && len(pts) > 1 {
			half = (pts[1].At - pts[0].At) / 2
		}
		for _, p := range pts {
			fmt.Fprintf(&sb, "%.1f,%.1f ", x(p.At+half), y(p.MaxQueue))
		}
		fmt.Fprintf(bw, `<polyline fill="none" stroke="#2c7fb8" stroke-width="1.5" points="%s"/>`+"\n",
			strings.TrimSpace(sb.String()))
	}

	// Legend.
	lx := svgWidth - padRight - 260
	fmt.Fprintf(bw, `<line x1="%d" y1="32" x2="%d" y2="32" stroke="#2c7fb8" stroke-width="2"/>`+"\n", lx, lx+20)
	fmt.Fprintf(bw, `<text x="%d" y="36">queue (max per %s)</text>`+"\n", lx+26, escape(fmtStep(r, len(pts))))
	fmt.Fprintf(bw, `<line x1="%d" y1="32" x2="%d" y2="32" stroke="#e67e22" stroke-width="2"/>`+"\n", lx+170, lx+190)
	fmt.Fprintf(bw, `<text x="%d" y="36">agents</text>`+"\n", lx+196)
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// merge returns the timeline, or, when longer than maxPoints, groups of
// consecutive samples merged into one (the max of each series).
func merge(tl []Sample) []Sample {
	if len(tl) <= maxPoints {
		return tl
	}
	k := (len(tl) + maxPoints - 1) / maxPoints
	out := make([]Sample, 0, maxPoints)
	for i := 0; i < len(tl); i += k {
		m := tl[i]
		for _, s := range tl[i+1 : min(i+k, len(tl))] {
			m.MaxQueue = max(m.MaxQueue, s.MaxQueue)
			m.Staffed = max(m.Staffed, s.Staffed)
		}
		out = append(out, m)
	}
	return out
}

func fmtStep(r Report, points int) string {
	step := r.Step
	if points > 0 && points < len(r.Timeline) {
		step *= time.Duration((len(r.Timeline) + points - 1) / points)
	}
	switch {
	case step%time.Hour == 0:
		return fmt.Sprintf("%dh", step/time.Hour)
	case step%time.Minute == 0:
		return fmt.Sprintf("%dmin", step/time.Minute)
	}
	return step.String()
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, at least 5.
func niceCeil(n int) int {
	if n <= 5 {
		return 5
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
