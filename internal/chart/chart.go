// Package chart draws charts as server-rendered SVG, for pages that must
// work without JavaScript under a Content Security Policy that forbids
// inline script and inline style: colours come from classes in the page's
// own style sheet (app.css, .hearth-chart*) and SVG presentation
// attributes, never from style attributes.
//
// Every chart is readable without colour: each series has its own marker
// shape and line dash (line charts) or fill pattern (bar charts), is named
// in a legend drawn with the same marker or pattern, and is labelled
// directly (values on the bars, names at the ends of the lines). Every
// chart has a title and a description the SVG is labelled by (role="img",
// aria-labelledby), and Figure puts the numbers beside it in a real HTML
// table, so a screen reader, a printout and a person who wants the exact
// figures all get them. Charts scale to their container (a viewBox, width
// 100%) and are drawn to be legible from a 360 px phone to a 1280 px
// screen.
//
// The package knows nothing of care: it is shared by the quality dashboard
// and, later, the care screens (fluids, weight, NEWS2 over time).
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Series is one named line or set of bars: a value for each category (NaN:
// no value, drawn as a gap and shown in the table as Notes says, or as
// "No value"). Notes, when set, is what the table shows for a category
// instead of the number (such as "Fewer than 5"); Links, when set, makes
// the table's cell for that category a link (to the people behind it).
type Series struct {
	Name   string
	Values []float64
	Notes  []string
	Links  []string
}

// Reference is a horizontal line across the chart: a target or threshold,
// drawn dashed and labelled in words.
type Reference struct {
	Label string
	Value float64
}

// Band is a shaded range across the chart (a normal range, a safe zone),
// drawn hatched and labelled in words.
type Band struct {
	Label     string
	Low, High float64
}

// Chart is what a line chart and a bar chart share.
type Chart struct {
	// ID names the chart's elements (its title, description, patterns):
	// unique on the page, letters, digits and hyphens.
	ID          string
	Title       string
	Description string // one sentence saying what the chart shows and what it means
	XLabel      string // what the categories are ("Week beginning")
	YLabel      string // what the values are ("Missed visits")
	Categories  []string
	Series      []Series
	Target      *Reference
	Band        *Band
	// Unit follows numbers in the table and labels ("ml", "%"); empty for
	// counts.
	Unit string
	// Zoomed lets the y axis start near the lowest value instead of at
	// zero, for measures that never come near zero (a weight of 60 to 64
	// kg drawn from zero is a flat line). The axis is labelled, so the
	// reader sees where it starts.
	Zoomed bool
}

// Line is a line chart: one line per series, over the categories in order.
type Line struct{ Chart }

// Bar is a column chart: for each category, one bar per series side by side
// (grouped) or one bar made of each series in turn (Stacked).
type Bar struct {
	Chart
	Stacked bool
}

// The drawing's own coordinates: the SVG scales to its container, so these
// set proportions and the size of text relative to the chart. 480 wide
// keeps 13-unit text legible (about 10 px) on a 360 px phone.
const (
	width     = 480.0
	height    = 300.0
	padLeft   = 48.0
	padRight  = 16.0
	padTop    = 28.0
	padBottom = 56.0
	fontSize  = 13.0
	// Series beyond this many reuse the shapes, dashes and patterns; a
	// chart with more lines than this is hard to read anyway.
	styles = 6
)

// markers are the point shapes of line series, in order: told apart by
// shape, not by colour.
var markers = [styles]string{"circle", "square", "triangle", "diamond", "cross", "star"}

// dashes are the line patterns of line series, in order.
var dashes = [styles]string{"", "8 4", "2 3", "10 3 2 3", "4 4", "1 2"}

// patterns are the fills of bar series, in order, as the legend names them.
var patterns = [styles]string{"solid", "diagonal", "dots", "crosshatch", "horizontal", "vertical"}

// Marker names the point shape series i is drawn with.
func Marker(i int) string { return markers[i%styles] }

// Pattern names the fill series i's bars are drawn with.
func Pattern(i int) string { return patterns[i%styles] }

func (c Chart) id(part string) string { return c.ID + "-" + part }

// empty reports whether there is nothing to draw: no categories, or no
// value in any series.
func (c Chart) empty() bool {
	for _, s := range c.Series {
		for i := range c.Categories {
			if v, ok := value(s, i); ok && !math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

func value(s Series, i int) (float64, bool) {
	if i >= len(s.Values) || math.IsNaN(s.Values[i]) || math.IsInf(s.Values[i], 0) {
		return 0, false
	}
	return s.Values[i], true
}

// scale is the y axis: the range drawn and the ticks labelled.
type scale struct {
	lo, hi float64
	ticks  []float64
}

// yScale covers every value, the target and the band, from zero (or below,
// for negative values) to a round number above the highest.
func (c Chart) yScale(stacked bool) scale {
	lo, hi := 0.0, 0.0
	first := c.Zoomed
	see := func(v float64) {
		if first {
			lo, hi, first = v, v, false
			return
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	for i := range c.Categories {
		sum := 0.0
		for _, s := range c.Series {
			if v, ok := value(s, i); ok {
				if stacked {
					sum += v
				} else {
					see(v)
				}
			}
		}
		if stacked {
			see(sum)
		}
	}
	if c.Target != nil {
		see(c.Target.Value)
	}
	if c.Band != nil {
		see(c.Band.Low)
		see(c.Band.High)
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	sc := scale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step}
	for v := sc.lo; v <= sc.hi+step/2; v += step {
		sc.ticks = append(sc.ticks, roundTo(v, step))
	}
	return sc
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten, so the
// axis reads 0, 5, 10 and not 0, 4.7, 9.4. Counts never step by less than 1.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func roundTo(v, step float64) float64 {
	if step >= 1 {
		return math.Round(v)
	}
	d := math.Pow(10, math.Ceil(-math.Log10(step)))
	return math.Round(v*d) / d
}

func (sc scale) y(v float64) float64 {
	return padTop + (height-padTop-padBottom)*(1-(v-sc.lo)/(sc.hi-sc.lo))
}

// Number formats a value as the chart and its table show it: whole numbers
// with thousands separators, others to one decimal place.
func Number(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	r := math.Round(v*10) / 10
	var s string
	if r == math.Trunc(r) {
		s = strconv.FormatFloat(r, 'f', 0, 64)
	} else {
		s = strconv.FormatFloat(r, 'f', 1, 64)
	}
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	if neg && whole != "0" {
		whole = "-" + whole
	}
	return whole
}

func (c Chart) withUnit(v float64) string {
	if c.Unit == "" {
		return Number(v)
	}
	if c.Unit == "%" {
		return Number(v) + "%"
	}
	return Number(v) + " " + c.Unit
}

func esc(s string) string { return html.EscapeString(s) }

func f(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// open writes the SVG element with its title and description, and the
// patterns the bars use.
func (c Chart) open(b *strings.Builder, kind string) {
	fmt.Fprintf(b, `<svg class="hearth-chart__svg hearth-chart__svg--%s" viewBox="0 0 %s %s" width="100%%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="%s %s" xmlns="http://www.w3.org/2000/svg" focusable="false">`,
		kind, f(width), f(height), esc(c.id("title")), esc(c.id("desc")))
	fmt.Fprintf(b, `<title id="%s">%s</title>`, esc(c.id("title")), esc(c.Title))
	fmt.Fprintf(b, `<desc id="%s">%s</desc>`, esc(c.id("desc")), esc(c.describe()))
	b.WriteString(`<defs>`)
	for i := 0; i < styles; i++ {
		fmt.Fprintf(b, `<pattern id="%s" class="hearth-chart__pattern hearth-chart__series-%d" patternUnits="userSpaceOnUse" width="8" height="8">`,
			esc(c.id("pattern-"+strconv.Itoa(i))), i%styles)
		b.WriteString(`<rect width="8" height="8" class="hearth-chart__pattern-ground"/>`)
		switch patterns[i] {
		case "solid":
			b.WriteString(`<rect width="8" height="8" class="hearth-chart__ink"/>`)
		case "diagonal":
			b.WriteString(`<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" class="hearth-chart__hatch" stroke-width="2"/>`)
		case "dots":
			b.WriteString(`<circle cx="4" cy="4" r="2" class="hearth-chart__ink"/>`)
		case "crosshatch":
			b.WriteString(`<path d="M0,0 l8,8 M8,0 l-8,8" class="hearth-chart__hatch" stroke-width="1.5"/>`)
		case "horizontal":
			b.WriteString(`<path d="M0,2 h8 M0,6 h8" class="hearth-chart__hatch" stroke-width="1.5"/>`)
		case "vertical":
			b.WriteString(`<path d="M2,0 v8 M6,0 v8" class="hearth-chart__hatch" stroke-width="1.5"/>`)
		}
		b.WriteString(`</pattern>`)
	}
	fmt.Fprintf(b, `<pattern id="%s" patternUnits="userSpaceOnUse" width="6" height="6"><path d="M0,6 l6,-6" class="hearth-chart__band-hatch" stroke-width="1"/></pattern>`,
		esc(c.id("band")))
	b.WriteString(`</defs>`)
}

// describe is the chart's description for a screen reader: what it shows,
// over what, and where the numbers are.
func (c Chart) describe() string {
	d := strings.TrimSpace(c.Description)
	if c.empty() {
		return strings.TrimSpace(d + " There is no data to show.")
	}
	var names []string
	for _, s := range c.Series {
		names = append(names, s.Name)
	}
	extra := fmt.Sprintf("%s for %s, %s to %s.", c.YLabel, strings.Join(names, ", "), c.Categories[0], c.Categories[len(c.Categories)-1])
	if c.Target != nil {
		extra += fmt.Sprintf(" %s: %s.", c.Target.Label, c.withUnit(c.Target.Value))
	}
	if c.Band != nil {
		extra += fmt.Sprintf(" %s: %s to %s.", c.Band.Label, c.withUnit(c.Band.Low), c.withUnit(c.Band.High))
	}
	extra += " The numbers are in the table that follows."
	return strings.TrimSpace(d + " " + extra)
}

// axes draws the y axis with its ticks and gridlines, the x axis labels,
// and both axis titles.
func (c Chart) axes(b *strings.Builder, sc scale, xAt func(i int) float64) {
	left, right := padLeft, width-padRight
	b.WriteString(`<g class="hearth-chart__axis hearth-chart__axis--y">`)
	for _, t := range sc.ticks {
		y := sc.y(t)
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" class="hearth-chart__grid"/>`, f(left), f(right), f(y), f(y))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle" font-size="%s" class="hearth-chart__tick">%s</text>`,
			f(left-6), f(y), f(fontSize-1), esc(Number(t)))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" class="hearth-chart__axis-title">%s</text>`, f(4), f(padTop-12), f(fontSize-1), esc(c.YLabel))
	b.WriteString(`</g><g class="hearth-chart__axis hearth-chart__axis--x">`)
	base := sc.y(math.Max(sc.lo, 0))
	fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s" class="hearth-chart__baseline"/>`, f(left), f(right), f(base), f(base))
	// Labels thin out so they never overlap: at most one every 40 units.
	every := int(math.Ceil(float64(len(c.Categories)) * 40 / (right - left)))
	every = max(every, 1)
	for i, cat := range c.Categories {
		// The first and last are always labelled; between them every
		// every-th, leaving room before the last.
		last := i == len(c.Categories)-1
		if !last && (i%every != 0 || (i != 0 && len(c.Categories)-1-i < every)) {
			continue
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" class="hearth-chart__tick">%s</text>`,
			f(xAt(i)), f(height-padBottom+16), f(fontSize-1), esc(cat))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" class="hearth-chart__axis-title">%s</text>`,
		f((left+right)/2), f(height-padBottom+34), f(fontSize-1), esc(c.XLabel))
	b.WriteString(`</g>`)
}

// references draws the band and the target line, each with its label in
// words (so neither relies on colour).
func (c Chart) references(b *strings.Builder, sc scale) {
	left, right := padLeft, width-padRight
	if c.Band != nil {
		top, bottom := sc.y(c.Band.High), sc.y(c.Band.Low)
		fmt.Fprintf(b, `<g class="hearth-chart__band"><rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s)" class="hearth-chart__band-area"/>`,
			f(left), f(top), f(right-left), f(math.Max(bottom-top, 1)), esc(c.id("band")))
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" class="hearth-chart__label">%s</text></g>`,
			f(left+4), f(top+fontSize), f(fontSize-1), esc(c.Band.Label))
	}
	if c.Target != nil {
		y := sc.y(c.Target.Value)
		fmt.Fprintf(b, `<g class="hearth-chart__target"><line x1="%s" x2="%s" y1="%s" y2="%s" stroke-dasharray="6 3" stroke-width="2" class="hearth-chart__target-line"/>`,
			f(left), f(right), f(y), f(y))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" font-size="%s" class="hearth-chart__label">%s: %s</text></g>`,
			f(right-2), f(y-4), f(fontSize-1), esc(c.Target.Label), esc(c.withUnit(c.Target.Value)))
	}
}

// nothing draws the empty chart: its title and a sentence saying there is
// no data, so the page never shows a blank box.
func (c Chart) nothing(b *strings.Builder, kind string) {
	c.open(b, kind)
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" class="hearth-chart__empty">No data to show</text></svg>`,
		f(width/2), f(height/2), f(fontSize+2))
}

// marker draws series i's point shape at (x, y).
func marker(b *strings.Builder, i int, x, y float64) {
	cls := fmt.Sprintf(`class="hearth-chart__marker hearth-chart__series-%d"`, i%styles)
	switch markers[i%styles] {
	case "circle":
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="4" %s/>`, f(x), f(y), cls)
	case "square":
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="8" height="8" %s/>`, f(x-4), f(y-4), cls)
	case "triangle":
		fmt.Fprintf(b, `<path d="M%s,%s l5,9 h-10 z" %s/>`, f(x), f(y-5), cls)
	case "diamond":
		fmt.Fprintf(b, `<path d="M%s,%s l5,5 l-5,5 l-5,-5 z" %s/>`, f(x), f(y-5), cls)
	case "cross":
		fmt.Fprintf(b, `<path d="M%s,%s l8,8 M%s,%s l-8,8" stroke-width="2.5" fill="none" %s/>`, f(x-4), f(y-4), f(x+4), f(y-4), cls)
	case "star":
		fmt.Fprintf(b, `<path d="M%s,%s l1.8,3.6 4,0.6 -2.9,2.8 0.7,4 -3.6,-1.9 -3.6,1.9 0.7,-4 -2.9,-2.8 4,-0.6 z" %s/>`, f(x), f(y-6), cls)
	}
}

// legend draws each series' name beside its marker (lines) or pattern
// (bars) above the plot, wrapping onto a second row when needed.
func (c Chart) legend(b *strings.Builder, bars bool) {
	if len(c.Series) < 2 {
		return
	}
	b.WriteString(`<g class="hearth-chart__legend">`)
	x, y := padLeft, 10.0
	for i, s := range c.Series {
		w := 24 + float64(len([]rune(s.Name)))*fontSize*0.55
		if x+w > width-padRight && x > padLeft {
			x, y = padLeft, y+fontSize+2
		}
		if bars {
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="12" height="10" fill="url(#%s)" class="hearth-chart__bar-edge"/>`,
				f(x), f(y-5), esc(c.id("pattern-"+strconv.Itoa(i%styles))))
		} else {
			marker(b, i, x+6, y)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" dominant-baseline="middle" font-size="%s" class="hearth-chart__label">%s</text>`,
			f(x+16), f(y), f(fontSize-1), esc(s.Name))
		x += w
	}
	b.WriteString(`</g>`)
}

// SVG is the line chart.
func (l Line) SVG() template.HTML {
	var b strings.Builder
	if l.empty() {
		l.nothing(&b, "line")
		return template.HTML(b.String())
	}
	l.open(&b, "line")
	sc := l.yScale(false)
	n := len(l.Categories)
	xAt := func(i int) float64 {
		if n == 1 {
			return (padLeft + width - padRight) / 2
		}
		return padLeft + 12 + (width-padLeft-padRight-24)*float64(i)/float64(n-1)
	}
	l.references(&b, sc)
	l.axes(&b, sc, xAt)
	for si, s := range l.Series {
		fmt.Fprintf(&b, `<g class="hearth-chart__series hearth-chart__series-%d" data-series="%s">`, si%styles, esc(s.Name))
		// A missing value breaks the line: nothing is drawn that was not
		// measured.
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				dash := ""
				if d := dashes[si%styles]; d != "" {
					dash = ` stroke-dasharray="` + d + `"`
				}
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke-width="2.5"%s class="hearth-chart__line hearth-chart__series-%d"/>`,
					strings.Join(seg, " "), dash, si%styles)
			}
			seg = seg[:0]
		}
		last := -1
		for i := 0; i < n; i++ {
			v, ok := value(s, i)
			if !ok {
				flush()
				continue
			}
			seg = append(seg, f(xAt(i))+","+f(sc.y(v)))
			last = i
		}
		flush()
		for i := 0; i < n; i++ {
			if v, ok := value(s, i); ok {
				marker(&b, si, xAt(i), sc.y(v))
				fmt.Fprintf(&b, `<title>%s, %s: %s</title>`, esc(s.Name), esc(l.Categories[i]), esc(l.withUnit(v)))
			}
		}
		if last >= 0 {
			// The direct label: the last value, and the series' name when
			// there are several lines.
			v, _ := value(s, last)
			label := l.withUnit(v)
			if len(l.Series) > 1 {
				label = s.Name + ": " + label
			}
			anchor, x := "end", xAt(last)-6
			if last < n-1 || n == 1 {
				anchor, x = "start", xAt(last)+8
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" font-size="%s" class="hearth-chart__label hearth-chart__value">%s</text>`,
				f(x), f(sc.y(v)-9), anchor, f(fontSize-1), esc(label))
		}
		b.WriteString(`</g>`)
	}
	l.legend(&b, false)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// SVG is the bar chart.
func (c Bar) SVG() template.HTML {
	var b strings.Builder
	if c.empty() {
		c.nothing(&b, "bar")
		return template.HTML(b.String())
	}
	c.open(&b, "bar")
	sc := c.yScale(c.Stacked)
	n := len(c.Categories)
	slot := (width - padLeft - padRight) / float64(n)
	xAt := func(i int) float64 { return padLeft + slot*(float64(i)+0.5) }
	c.axes(&b, sc, xAt)
	group := slot * 0.8
	each := group
	if !c.Stacked && len(c.Series) > 0 {
		each = group / float64(len(c.Series))
	}
	zero := sc.y(math.Max(sc.lo, 0))
	for i := 0; i < n; i++ {
		base := 0.0
		for si, s := range c.Series {
			v, ok := value(s, i)
			if !ok {
				continue
			}
			x := xAt(i) - group/2
			lo, hi := 0.0, v
			if c.Stacked {
				lo, hi = base, base+v
				base = hi
			} else {
				x += each * float64(si)
			}
			top, bottom := sc.y(math.Max(lo, hi)), sc.y(math.Min(lo, hi))
			if !c.Stacked {
				bottom = zero
				top = sc.y(v)
				if v < 0 {
					top, bottom = zero, sc.y(v)
				}
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s)" class="hearth-chart__bar hearth-chart__bar-edge hearth-chart__series-%d" data-series="%s" data-category="%s"><title>%s, %s: %s</title></rect>`,
				f(x+0.5), f(top), f(math.Max(each-1, 1)), f(math.Max(bottom-top, 0)), esc(c.id("pattern-"+strconv.Itoa(si%styles))), si%styles,
				esc(s.Name), esc(c.Categories[i]), esc(s.Name), esc(c.Categories[i]), esc(c.withUnit(v)))
			// Direct labels: above each grouped bar when it is wide enough
			// to carry one, inside a stacked segment tall enough to hold it.
			label := Number(v)
			switch {
			case !c.Stacked && each >= float64(len(label))*fontSize*0.5:
				fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" class="hearth-chart__label hearth-chart__value">%s</text>`,
					f(x+each/2), f(top-4), f(fontSize-2), esc(label))
			case c.Stacked && bottom-top >= fontSize+4 && v != 0 && group >= float64(len(label))*fontSize*0.5:
				fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" dominant-baseline="middle" font-size="%s" class="hearth-chart__label hearth-chart__value hearth-chart__value--inside">%s</text>`,
					f(x+group/2), f((top+bottom)/2), f(fontSize-2), esc(label))
			}
		}
		if c.Stacked && len(c.Series) > 1 && group >= float64(len(Number(base)))*fontSize*0.5 {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" class="hearth-chart__label hearth-chart__total">%s</text>`,
				f(xAt(i)), f(sc.y(base)-4), f(fontSize-2), esc(Number(base)))
		}
	}
	c.references(&b, sc)
	c.legend(&b, true)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Table is the chart's numbers as an HTML table: a row for each category, a
// column for each series, with the title as its caption. A cell shows the
// series' note for that category when it has one, and links to the people
// behind it when the series gives a link.
func (c Chart) Table() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<table class="nhsuk-table hearth-chart__table" id="%s">`, esc(c.id("table")))
	fmt.Fprintf(&b, `<caption class="nhsuk-table__caption nhsuk-table__caption--s">%s</caption>`, esc(c.Title))
	b.WriteString(`<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">`)
	fmt.Fprintf(&b, `<th scope="col" class="nhsuk-table__header">%s</th>`, esc(c.XLabel))
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<th scope="col" class="nhsuk-table__header nhsuk-table__header--numeric">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody class="nhsuk-table__body">`)
	if len(c.Categories) == 0 {
		fmt.Fprintf(&b, `<tr class="nhsuk-table__row"><td class="nhsuk-table__cell" colspan="%d">No data to show</td></tr>`, len(c.Series)+1)
	}
	for i, cat := range c.Categories {
		fmt.Fprintf(&b, `<tr class="nhsuk-table__row"><th scope="row" class="nhsuk-table__header">%s</th>`, esc(cat))
		for _, s := range c.Series {
			text := "No value"
			if v, ok := value(s, i); ok {
				text = c.withUnit(v)
			}
			if i < len(s.Notes) && s.Notes[i] != "" {
				text = s.Notes[i]
			}
			cell := esc(text)
			if i < len(s.Links) && s.Links[i] != "" {
				cell = fmt.Sprintf(`<a class="nhsuk-link" href="%s">%s<span class="nhsuk-u-visually-hidden">: %s, %s</span></a>`,
					esc(s.Links[i]), cell, esc(s.Name), esc(cat))
			}
			fmt.Fprintf(&b, `<td class="nhsuk-table__cell nhsuk-table__cell--numeric">%s</td>`, cell)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	if c.Target != nil || c.Band != nil {
		b.WriteString(`<p class="nhsuk-body-s hearth-chart__reference">`)
		if c.Target != nil {
			fmt.Fprintf(&b, `%s: %s.`, esc(c.Target.Label), esc(c.withUnit(c.Target.Value)))
		}
		if c.Band != nil {
			if c.Target != nil {
				b.WriteString(` `)
			}
			fmt.Fprintf(&b, `%s: %s to %s.`, esc(c.Band.Label), esc(c.withUnit(c.Band.Low)), esc(c.withUnit(c.Band.High)))
		}
		b.WriteString(`</p>`)
	}
	return template.HTML(b.String())
}

// figure wraps a chart's SVG with a visible title and its table.
func figure(c Chart, svg template.HTML) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="hearth-chart" id="%s">`, esc(c.ID))
	fmt.Fprintf(&b, `<figcaption class="nhsuk-heading-s hearth-chart__title">%s</figcaption>`, esc(c.Title))
	if d := strings.TrimSpace(c.Description); d != "" {
		fmt.Fprintf(&b, `<p class="nhsuk-body-s hearth-chart__description">%s</p>`, esc(d))
	}
	fmt.Fprintf(&b, `<div class="hearth-chart__drawing">%s</div>`, svg)
	// The table may scroll sideways on a phone: a keyboard must reach it
	// to scroll it (WCAG 2.1.1), and a screen reader hears what it is.
	fmt.Fprintf(&b, `<div class="hearth-table-scroll hearth-chart__numbers" tabindex="0" role="region" aria-label="%s">`, esc(c.Title+": the numbers"))
	b.WriteString(string(c.Table()))
	b.WriteString(`</div></figure>`)
	return template.HTML(b.String())
}

// Figure is the line chart with its title and, beside it, its numbers.
func (l Line) Figure() template.HTML { return figure(l.Chart, l.SVG()) }

// Figure is the bar chart with its title and, beside it, its numbers.
func (c Bar) Figure() template.HTML { return figure(c.Chart, c.SVG()) }
