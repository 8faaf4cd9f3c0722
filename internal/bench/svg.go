package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// A small line chart in SVG, enough for throughput against concurrency and
// latency percentiles: the plots in docs/ are plain files a reviewer can
// read in a diff.

type series struct {
	name   string
	points [][2]float64 // x, y
	dashed bool
}

type chart struct {
	title, xLabel, yLabel string
	logX                  bool
	series                []series
}

var palette = []string{"#005eb8", "#d5281b", "#007f3b", "#ffb81c", "#330072", "#768692", "#ae2573", "#00a499"}

func (c chart) svg() string {
	const w, h, left, right, top, bottom = 720.0, 420.0, 80.0, 200.0, 40.0, 60.0
	pw, ph := w-left-right, h-top-bottom
	var xs, ys []float64
	for _, s := range c.series {
		for _, p := range s.points {
			xs = append(xs, p[0])
			ys = append(ys, p[1])
		}
	}
	if len(xs) == 0 {
		return ""
	}
	sort.Float64s(xs)
	sort.Float64s(ys)
	x0, x1 := xs[0], xs[len(xs)-1]
	tx := func(x float64) float64 { return x }
	if c.logX && x0 > 0 {
		tx = math.Log2
	}
	if tx(x1) == tx(x0) {
		x1 = x0 * 2
		if x1 == 0 {
			x1 = 1
		}
	}
	y1 := niceCeil(ys[len(ys)-1])
	px := func(x float64) float64 { return left + (tx(x)-tx(x0))/(tx(x1)-tx(x0))*pw }
	py := func(y float64) float64 { return top + ph - y/y1*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="Arial, sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#fff"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(c.title))
	// Axes and grid.
	for i := 0; i <= 5; i++ {
		y := y1 * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e8edee"/>`+"\n", left, py(y), left+pw, py(y))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(y)+4, num(y))
	}
	ticks := map[float64]bool{}
	for _, x := range xs {
		if !ticks[x] {
			ticks[x] = true
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", px(x), top+ph+18, num(x))
		}
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#425563"/>`+"\n", left, top+ph, left+pw, top+ph)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#425563"/>`+"\n", left, top, left, top+ph)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%s</text>`+"\n", left+pw/2, h-14, esc(c.xLabel))
	fmt.Fprintf(&b, `<text x="16" y="%g" text-anchor="middle" transform="rotate(-90 16 %g)">%s</text>`+"\n", top+ph/2, top+ph/2, esc(c.yLabel))
	for i, s := range c.series {
		col := palette[i%len(palette)]
		pts := append([][2]float64(nil), s.points...)
		sort.Slice(pts, func(a, b int) bool { return pts[a][0] < pts[b][0] })
		var path []string
		for _, p := range pts {
			path = append(path, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", col, dash, strings.Join(path, " "))
		for _, p := range pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(p[0]), py(p[1]), col)
		}
		ly := top + 10 + float64(i)*20
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"%s/>`+"\n", left+pw+14, ly, left+pw+38, ly, col, dash)
		fmt.Fprintf(&b, `<text x="%g" y="%g">%s</text>`+"\n", left+pw+44, ly+4, esc(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
