package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hearth/internal/chart"
)

// standaloneStyle is the part of app.css that colours internal/chart's
// drawings (.hearth-chart*), for SVG files read on their own in docs/
// rather than inside a Hearth page.
const standaloneStyle = `<style>
.hearth-chart__svg { background: #fff; }
.hearth-chart__svg text { fill: #212b32; font-family: Arial, sans-serif; }
.hearth-chart__grid { stroke: #d8dde0; stroke-width: 1; }
.hearth-chart__baseline { stroke: #4c6272; stroke-width: 1.5; }
.hearth-chart__tick, .hearth-chart__axis-title { fill: #4c6272; }
.hearth-chart__target-line { stroke: #d5281b; }
.hearth-chart__series-0 { --hearth-ink: #005eb8; }
.hearth-chart__series-1 { --hearth-ink: #007f3b; }
.hearth-chart__series-2 { --hearth-ink: #7c2855; }
.hearth-chart__series-3 { --hearth-ink: #ed8b00; }
.hearth-chart__series-4 { --hearth-ink: #330072; }
.hearth-chart__series-5 { --hearth-ink: #212b32; }
.hearth-chart__line { stroke: var(--hearth-ink); fill: none; }
.hearth-chart__marker { fill: var(--hearth-ink); stroke: var(--hearth-ink); }
</style>`

// standalone makes a chart's SVG a file of its own: the style sheet it
// would have had from the page, inside it.
func standalone(svg string) string {
	i := strings.Index(svg, ">")
	if i < 0 {
		return svg
	}
	return svg[:i+1] + standaloneStyle + svg[i+1:] + "\n"
}

// Plots writes the SVG plots into dir and returns their file names: for
// each mix, throughput against concurrency (one line per data set) and the
// latency percentiles against concurrency, drawn with internal/chart.
func Plots(rep Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var clients []int
	for _, s := range rep.Samples {
		if s.Clients > 0 && !slices.Contains(clients, s.Clients) {
			clients = append(clients, s.Clients)
		}
	}
	slices.Sort(clients)
	if len(clients) == 0 {
		return nil, nil
	}
	cats := make([]string, len(clients))
	for i, c := range clients {
		cats[i] = fmt.Sprint(c)
	}
	at := func(mix, data string, v func(Sample) float64) []float64 {
		out := make([]float64, len(clients))
		for i, c := range clients {
			out[i] = math.NaN()
			for _, s := range rep.Samples {
				if s.Mix == mix && s.Data == data && s.Clients == c {
					out[i] = v(s)
				}
			}
		}
		return out
	}
	var files []string
	for _, mix := range mixesIn(rep) {
		tp := chart.Line{Chart: chart.Chart{ID: "throughput-" + mix, Title: "Throughput: " + mix,
			Description: "Requests answered a second against concurrent clients, for each data set (closed loop).",
			XLabel:      "Concurrent clients", YLabel: "Requests a second", Categories: cats}}
		lat := chart.Line{Chart: chart.Chart{ID: "latency-" + mix, Title: "Latency: " + mix,
			Description: "The 50th, 95th and 99th percentile response times against concurrent clients, for each data set.",
			XLabel:      "Concurrent clients", YLabel: "Milliseconds", Unit: " ms", Categories: cats}}
		for _, data := range dataIn(rep) {
			tp.Series = append(tp.Series, chart.Series{Name: data, Values: at(mix, data, func(s Sample) float64 { return s.Throughput })})
			lat.Series = append(lat.Series,
				chart.Series{Name: data + " p50", Values: at(mix, data, func(s Sample) float64 { return s.P50 })},
				chart.Series{Name: data + " p95", Values: at(mix, data, func(s Sample) float64 { return s.P95 })},
				chart.Series{Name: data + " p99", Values: at(mix, data, func(s Sample) float64 { return s.P99 })})
		}
		for _, c := range []struct {
			name string
			svg  string
		}{{"throughput-" + mix + ".svg", string(tp.SVG())}, {"latency-" + mix + ".svg", string(lat.SVG())}} {
			if err := os.WriteFile(filepath.Join(dir, c.name), []byte(standalone(c.svg)), 0o644); err != nil {
				return nil, err
			}
			files = append(files, c.name)
		}
	}
	return files, nil
}
