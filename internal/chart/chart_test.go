package chart_test

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/chart"
)

// node is a parsed element: the SVG and the table are well-formed XML, so
// the tests read them as a tree rather than searching the text.
type node struct {
	Name     string
	Attr     map[string]string
	Text     string // the element's own text, trimmed
	Children []*node
}

func parse(t *testing.T, markup string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(markup))
	d.Strict = true
	root := &node{Name: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, markup)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tok.Name.Local, Attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top := stack[len(stack)-1]
			top.Text = strings.TrimSpace(top.Text + string(tok))
		}
	}
	return root
}

func (n *node) all(name string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, c := range m.Children {
			if c.Name == name {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) first(name string) *node {
	if l := n.all(name); len(l) > 0 {
		return l[0]
	}
	return nil
}

// text is every piece of text under n, joined by spaces.
func (n *node) text() string {
	var parts []string
	var walk func(*node)
	walk = func(m *node) {
		if m.Text != "" {
			parts = append(parts, m.Text)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(parts, " ")
}

func (n *node) hasClass(c string) bool {
	return strings.Contains(" "+n.Attr["class"]+" ", " "+c+" ")
}

func (n *node) withClass(c string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, ch := range m.Children {
			if ch.hasClass(c) {
				out = append(out, ch)
			}
			walk(ch)
		}
	}
	walk(n)
	return out
}

var nan = math.NaN()

func missedVisits() chart.Line {
	return chart.Line{Chart: chart.Chart{ID: "missed", Title: "Missed visits each week", Description: "Visits no one arrived for.",
		XLabel: "Week beginning", YLabel: "Missed visits", Categories: []string{"2 Feb", "9 Feb", "16 Feb", "23 Feb"},
		Series: []chart.Series{
			{Name: "Rowan House", Values: []float64{3, 1, nan, 4}, Notes: []string{"", "", "Fewer than 5 people", ""},
				Links: []string{"/a", "", "", "/d"}},
			{Name: "Oak Ward", Values: []float64{0, 2, 2, 1}},
		},
		Target: &chart.Reference{Label: "Target", Value: 2}, Band: &chart.Band{Label: "Expected range", Low: 0, High: 1}}}
}

// checkAccessible holds for every chart: one SVG, labelled by its own title
// and description (which exist), role img, a viewBox and width 100% so it
// scales from a phone to a desktop, and nothing the Content Security
// Policy forbids (no style attribute, no style or script element, no event
// handler attribute).
func checkAccessible(t *testing.T, svg string, title string) *node {
	t.Helper()
	root := parse(t, svg)
	svgs := root.all("svg")
	if len(svgs) != 1 {
		t.Fatalf("%d svg elements", len(svgs))
	}
	s := svgs[0]
	if s.Attr["role"] != "img" || s.Attr["width"] != "100%" || s.Attr["viewBox"] == "" {
		t.Errorf("svg attributes = %v", s.Attr)
	}
	ids := map[string]*node{}
	var walk func(*node)
	walk = func(m *node) {
		if id := m.Attr["id"]; id != "" {
			if ids[id] != nil {
				t.Errorf("id %q twice", id)
			}
			ids[id] = m
		}
		for k := range m.Attr {
			if k == "style" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s> has a %s attribute, which the CSP forbids", m.Name, k)
			}
		}
		if m.Name == "script" || m.Name == "style" {
			t.Errorf("a <%s> element, which the CSP forbids", m.Name)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(root)
	labels := strings.Fields(s.Attr["aria-labelledby"])
	if len(labels) != 2 {
		t.Fatalf("aria-labelledby = %q", s.Attr["aria-labelledby"])
	}
	if n := ids[labels[0]]; n == nil || n.Name != "title" || n.Text != title {
		t.Errorf("the first label is not the chart's title %q: %+v", title, n)
	}
	if n := ids[labels[1]]; n == nil || n.Name != "desc" || n.Text == "" {
		t.Errorf("the second label is not a description: %+v", n)
	}
	return s
}

func TestALineChartIsLabelledScalesAndKeepsToTheContentSecurityPolicy(t *testing.T) {
	l := missedVisits()
	s := checkAccessible(t, string(l.SVG()), "Missed visits each week")
	desc := s.first("desc").Text
	for _, want := range []string{"Visits no one arrived for.", "Rowan House, Oak Ward", "2 Feb to 23 Feb", "Target: 2", "Expected range: 0 to 1", "table"} {
		if !strings.Contains(desc, want) {
			t.Errorf("the description %q does not say %q", desc, want)
		}
	}
}

func TestALineBreaksWhereAValueIsMissingAndEachSeriesHasItsOwnMarkerAndDash(t *testing.T) {
	s := parse(t, string(missedVisits().SVG()))
	lines := s.withClass("hearth-chart__line")
	// Rowan House has a gap in the third week: two pieces (the last alone
	// is a point, not a line), Oak Ward one line through all four.
	var rowan, oak []*node
	for _, l := range lines {
		if l.hasClass("hearth-chart__series-0") {
			rowan = append(rowan, l)
		} else {
			oak = append(oak, l)
		}
	}
	if len(rowan) != 1 || len(strings.Fields(rowan[0].Attr["points"])) != 2 {
		t.Errorf("Rowan House's line = %+v", rowan)
	}
	if len(oak) != 1 || len(strings.Fields(oak[0].Attr["points"])) != 4 || oak[0].Attr["stroke-dasharray"] == "" {
		t.Errorf("Oak Ward's line = %+v (a second series is dashed)", oak)
	}
	if rowan[0].Attr["stroke-dasharray"] != "" {
		t.Errorf("the first series is solid")
	}
	// A marker for each value present: 3 circles for Rowan House, 4
	// squares for Oak Ward (plus one of each in the legend).
	markers := s.withClass("hearth-chart__marker")
	count := map[string]int{}
	for _, m := range markers {
		count[m.Name]++
	}
	if count["circle"] != 4 || count["rect"] != 5 {
		t.Errorf("markers = %v", count)
	}
	if chart.Marker(0) == chart.Marker(1) || chart.Pattern(0) == chart.Pattern(1) {
		t.Error("two series share a marker or a pattern")
	}
}

func TestTheTargetAndBandAreDrawnAndLabelledInWords(t *testing.T) {
	s := parse(t, string(missedVisits().SVG()))
	target := s.withClass("hearth-chart__target")
	if len(target) != 1 || target[0].first("line").Attr["stroke-dasharray"] == "" || target[0].first("text").Text != "Target: 2" {
		t.Fatalf("target = %+v", target)
	}
	band := s.withClass("hearth-chart__band")
	if len(band) != 1 || band[0].first("text").Text != "Expected range" || !strings.HasPrefix(band[0].first("rect").Attr["fill"], "url(#missed-band)") {
		t.Fatalf("band = %+v", band)
	}
	// The target line sits where 2 is on the axis.
	var y2 string
	for _, tick := range s.withClass("hearth-chart__tick") {
		if tick.Text == "2" {
			y2 = tick.Attr["y"]
		}
	}
	if y2 == "" || target[0].first("line").Attr["y1"] != y2 {
		t.Errorf("the target is drawn at %q, the axis has 2 at %q", target[0].first("line").Attr["y1"], y2)
	}
}

func TestTheAxesAreLabelledFromZeroToARoundNumberWithTheirTitles(t *testing.T) {
	s := parse(t, string(missedVisits().SVG()))
	var ticks []string
	for _, n := range s.withClass("hearth-chart__axis--y") {
		for _, tk := range n.withClass("hearth-chart__tick") {
			ticks = append(ticks, tk.Text)
		}
	}
	if strings.Join(ticks, " ") != "0 1 2 3 4" {
		t.Errorf("y ticks = %v", ticks)
	}
	var xs []string
	for _, n := range s.withClass("hearth-chart__axis--x") {
		for _, tk := range n.withClass("hearth-chart__tick") {
			xs = append(xs, tk.Text)
		}
	}
	if strings.Join(xs, "|") != "2 Feb|9 Feb|16 Feb|23 Feb" {
		t.Errorf("x labels = %v", xs)
	}
	titles := s.withClass("hearth-chart__axis-title")
	if len(titles) != 2 || titles[0].Text != "Missed visits" || titles[1].Text != "Week beginning" {
		t.Errorf("axis titles = %+v", titles)
	}
}

func TestManyCategoriesAreLabelledWithoutOverlapAndTheLastIsAlwaysShown(t *testing.T) {
	cats := make([]string, 52)
	vals := make([]float64, 52)
	for i := range cats {
		cats[i] = "W" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		vals[i] = float64(i % 7)
	}
	l := chart.Line{Chart: chart.Chart{ID: "year", Title: "A year", XLabel: "Week", YLabel: "Count", Categories: cats,
		Series: []chart.Series{{Name: "All", Values: vals}}}}
	s := parse(t, string(l.SVG()))
	var xs []*node
	for _, n := range s.withClass("hearth-chart__axis--x") {
		xs = n.withClass("hearth-chart__tick")
	}
	if len(xs) >= 52 || len(xs) < 4 || xs[0].Text != cats[0] || xs[len(xs)-1].Text != cats[51] {
		t.Fatalf("%d labels, first %q last %q", len(xs), xs[0].Text, xs[len(xs)-1].Text)
	}
	prev := -1.0
	for _, x := range xs {
		v := atof(t, x.Attr["x"])
		if prev >= 0 && v-prev < 36 {
			t.Errorf("labels %v apart", v-prev)
		}
		prev = v
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

func TestTheTableBesideTheChartHoldsEveryNumberNoteAndLink(t *testing.T) {
	l := missedVisits()
	tb := parse(t, string(l.Table()))
	table := tb.first("table")
	if table.first("caption").Text != "Missed visits each week" {
		t.Errorf("caption = %q", table.first("caption").Text)
	}
	var head []string
	for _, th := range table.first("thead").all("th") {
		head = append(head, th.Text)
	}
	if strings.Join(head, "|") != "Week beginning|Rowan House|Oak Ward" {
		t.Errorf("head = %v", head)
	}
	want := [][]string{
		{"2 Feb", "3", "0"},
		{"9 Feb", "1", "2"},
		{"16 Feb", "Fewer than 5 people", "2"},
		{"23 Feb", "4", "1"},
	}
	rows := table.first("tbody").all("tr")
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		got := []string{r.first("th").Text}
		for _, td := range r.all("td") {
			cell := td.Text
			if a := td.first("a"); a != nil {
				cell = a.Text
			}
			got = append(got, cell)
		}
		if strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %v, want %v", i, got, want[i])
		}
	}
	links := table.all("a")
	if len(links) != 2 || links[0].Attr["href"] != "/a" || links[1].Attr["href"] != "/d" {
		t.Fatalf("links = %+v", links)
	}
	// A link's words say what it is about to a screen reader.
	if got := links[0].text(); got != "3 : Rowan House, 2 Feb" {
		t.Errorf("link text = %q", got)
	}
	if got := tb.text(); !strings.Contains(got, "Target: 2.") || !strings.Contains(got, "Expected range: 0 to 1.") {
		t.Errorf("the references are not stated under the table: %q", got)
	}
}

func TestTheFigurePutsTheTitleTheChartAndTheTableTogether(t *testing.T) {
	fig := parse(t, string(missedVisits().Figure()))
	f := fig.first("figure")
	if f == nil || f.Attr["id"] != "missed" || f.first("figcaption").Text != "Missed visits each week" {
		t.Fatalf("figure = %+v", f)
	}
	if f.first("svg") == nil || f.first("table") == nil {
		t.Fatal("the figure lacks its chart or its table")
	}
}

func TestAGroupedBarChartDrawsABarPerValueWithItsPatternAndValue(t *testing.T) {
	b := chart.Bar{Chart: chart.Chart{ID: "inc", Title: "Incidents each month", XLabel: "Month", YLabel: "Incidents",
		Categories: []string{"Jan", "Feb", "Mar"},
		Series:     []chart.Series{{Name: "Rowan House", Values: []float64{2, 0, 5}}, {Name: "Oak Ward", Values: []float64{1, nan, 3}}}}}
	s := checkAccessible(t, string(b.SVG()), "Incidents each month")
	bars := s.withClass("hearth-chart__bar")
	if len(bars) != 5 {
		t.Fatalf("%d bars, want 5 (one value is missing)", len(bars))
	}
	for _, bar := range bars {
		series := 0
		if bar.Attr["data-series"] == "Oak Ward" {
			series = 1
		}
		if bar.Attr["fill"] != "url(#inc-pattern-"+string(rune('0'+series))+")" {
			t.Errorf("%s's bar is filled %q", bar.Attr["data-series"], bar.Attr["fill"])
		}
	}
	var values []string
	for _, v := range s.withClass("hearth-chart__value") {
		values = append(values, v.Text)
	}
	if strings.Join(values, " ") != "2 1 0 5 3" {
		t.Errorf("value labels = %v", values)
	}
	legend := s.withClass("hearth-chart__legend")
	if len(legend) != 1 || !strings.Contains(legend[0].text(), "Rowan House") || !strings.Contains(legend[0].text(), "Oak Ward") {
		t.Errorf("legend = %+v", legend)
	}
	// Each pattern is defined once, in the chart's own namespace.
	for _, p := range s.all("pattern") {
		if !strings.HasPrefix(p.Attr["id"], "inc-") {
			t.Errorf("pattern %q outside the chart's IDs", p.Attr["id"])
		}
	}
}

func TestAStackedBarChartStacksSegmentsAndLabelsTheTotal(t *testing.T) {
	b := chart.Bar{Stacked: true, Chart: chart.Chart{ID: "sev", Title: "Incidents by severity", XLabel: "Month", YLabel: "Incidents",
		Categories: []string{"Jan", "Feb"},
		Series:     []chart.Series{{Name: "Low", Values: []float64{4, 2}}, {Name: "High", Values: []float64{3, 0}}}}}
	s := checkAccessible(t, string(b.SVG()), "Incidents by severity")
	var jan []*node
	for _, bar := range s.withClass("hearth-chart__bar") {
		if bar.Attr["data-category"] == "Jan" {
			jan = append(jan, bar)
		}
	}
	if len(jan) != 2 {
		t.Fatalf("January has %d segments", len(jan))
	}
	// The second segment sits on the first: its bottom is the first's top.
	low, high := jan[0], jan[1]
	if low.Attr["x"] != high.Attr["x"] {
		t.Errorf("stacked segments side by side: %v %v", low.Attr, high.Attr)
	}
	if bottom := atof(t, high.Attr["y"]) + atof(t, high.Attr["height"]); math.Abs(bottom-atof(t, low.Attr["y"])) > 0.2 {
		t.Errorf("the high segment ends at %v, the low one starts at %v", bottom, low.Attr["y"])
	}
	var totals []string
	for _, v := range s.withClass("hearth-chart__total") {
		totals = append(totals, v.Text)
	}
	if strings.Join(totals, " ") != "7 2" {
		t.Errorf("totals = %v", totals)
	}
	var ticks []string
	for _, tk := range s.withClass("hearth-chart__axis--y")[0].withClass("hearth-chart__tick") {
		ticks = append(ticks, tk.Text)
	}
	if ticks[len(ticks)-1] != "8" {
		t.Errorf("the axis stops at %v: the stack of 7 must fit", ticks)
	}
}

func TestAChartWithNoDataSaysSoInTheChartAndTheTable(t *testing.T) {
	for name, c := range map[string]chart.Chart{
		"no categories":         {ID: "e1", Title: "Nothing yet", XLabel: "Week", YLabel: "Count"},
		"only missing values":   {ID: "e2", Title: "Nothing yet", XLabel: "Week", YLabel: "Count", Categories: []string{"a"}, Series: []chart.Series{{Name: "x", Values: []float64{nan}}}},
		"series without values": {ID: "e3", Title: "Nothing yet", XLabel: "Week", YLabel: "Count", Categories: []string{"a", "b"}, Series: []chart.Series{{Name: "x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			for kind, svg := range map[string]string{"line": string(chart.Line{Chart: c}.SVG()), "bar": string(chart.Bar{Chart: c}.SVG())} {
				s := checkAccessible(t, svg, "Nothing yet")
				if got := s.withClass("hearth-chart__empty"); len(got) != 1 || got[0].Text != "No data to show" {
					t.Errorf("%s: empty message = %+v", kind, got)
				}
				if !strings.Contains(s.first("desc").Text, "There is no data to show.") {
					t.Errorf("%s: description = %q", kind, s.first("desc").Text)
				}
				if len(s.withClass("hearth-chart__bar"))+len(s.withClass("hearth-chart__line")) != 0 {
					t.Errorf("%s: something drawn", kind)
				}
			}
			tb := parse(t, string(c.Table()))
			if c.Categories == nil && !strings.Contains(tb.text(), "No data to show") {
				t.Errorf("the empty table says %q", tb.text())
			}
		})
	}
}

func TestTextIsEscapedEverywhere(t *testing.T) {
	l := chart.Line{Chart: chart.Chart{ID: "x", Title: `Falls <script>alert(1)</script> & "more"`, XLabel: "<b>", YLabel: "a&b",
		Categories: []string{"<i>"}, Series: []chart.Series{{Name: "O'Brien & Sons <x>", Values: []float64{1}, Links: []string{`/p?a=1&b="2"`}}}}}
	for _, markup := range []string{string(l.SVG()), string(l.Table()), string(l.Figure())} {
		root := parse(t, markup) // well-formed: nothing broke out of its element
		if len(root.all("script")) != 0 || len(root.all("b")) != 0 || len(root.all("i")) != 0 || len(root.all("x")) != 0 {
			t.Fatalf("markup from data became elements: %s", markup)
		}
	}
}

func TestNumbersAreShownAsPeopleReadThem(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{{0, "0"}, {3, "3"}, {2.25, "2.3"}, {1500, "1,500"}, {1234567, "1,234,567"}, {-4.5, "-4.5"}, {0.04, "0"}, {99.96, "100"}}
	for _, c := range cases {
		if got := chart.Number(c.in); got != c.want {
			t.Errorf("Number(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	l := chart.Line{Chart: chart.Chart{ID: "u", Title: "Fluids", XLabel: "Day", YLabel: "Drunk", Unit: "ml", Categories: []string{"Mon"},
		Series: []chart.Series{{Name: "Ann", Values: []float64{1500}}}, Target: &chart.Reference{Label: "Target", Value: 1600}}}
	if got := parse(t, string(l.Table())).text(); !strings.Contains(got, "1,500 ml") || !strings.Contains(got, "Target: 1,600 ml.") {
		t.Errorf("units: %q", got)
	}
}
