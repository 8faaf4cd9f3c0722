package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Save writes the report as JSON, for the next run's "what changed".
func Save(rep Report, path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Load reads a report written by Save.
func Load(path string) (Report, error) {
	var rep Report
	b, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	return rep, json.Unmarshal(b, &rep)
}

// Plots writes the SVG plots into dir and returns their file names: for
// each mix, throughput against concurrency (each data set, with the static
// file as the ceiling) and latency percentiles against concurrency.
func Plots(rep Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, mix := range mixesIn(rep) {
		tp := chart{title: "Throughput: " + mix, xLabel: "concurrent clients", yLabel: "requests a second", logX: true}
		lat := chart{title: "Latency: " + mix, xLabel: "concurrent clients", yLabel: "milliseconds", logX: true}
		for _, data := range dataIn(rep) {
			var thr, p50, p95, p99 series
			thr.name = data
			p50.name, p95.name, p99.name = data+" p50", data+" p95", data+" p99"
			p95.dashed = true
			for _, s := range rep.Samples {
				if s.Mix != mix || s.Data != data || s.Clients == 0 {
					continue
				}
				c := float64(s.Clients)
				thr.points = append(thr.points, [2]float64{c, s.Throughput})
				p50.points = append(p50.points, [2]float64{c, s.P50})
				p95.points = append(p95.points, [2]float64{c, s.P95})
				p99.points = append(p99.points, [2]float64{c, s.P99})
			}
			if len(thr.points) == 0 {
				continue
			}
			tp.series = append(tp.series, thr)
			lat.series = append(lat.series, p50, p95, p99)
		}
		if len(tp.series) == 0 {
			continue
		}
		if !Mixes[mix].Writes {
			for _, l := range rep.Limits {
				st := series{name: l.Data + " static file", dashed: true}
				for c, v := range l.Static {
					st.points = append(st.points, [2]float64{float64(c), v})
				}
				tp.series = append(tp.series, st)
			}
		} else {
			for _, l := range rep.Limits {
				var st series
				st.name, st.dashed = l.Data+" raw commits", true
				for _, s := range rep.Samples {
					if s.Mix == mix && s.Data == l.Data && s.Clients > 0 {
						st.points = append(st.points, [2]float64{float64(s.Clients), l.CommitsN})
					}
				}
				tp.series = append(tp.series, st)
			}
		}
		for _, c := range []struct {
			name string
			ch   chart
		}{{"throughput-" + mix + ".svg", tp}, {"latency-" + mix + ".svg", lat}} {
			if err := os.WriteFile(filepath.Join(dir, c.name), []byte(c.ch.svg()), 0o644); err != nil {
				return nil, err
			}
			files = append(files, c.name)
		}
	}
	return files, nil
}

func mixesIn(rep Report) []string {
	var out []string
	for _, s := range rep.Samples {
		if !slices.Contains(out, s.Mix) {
			out = append(out, s.Mix)
		}
	}
	return out
}

func dataIn(rep Report) []string {
	var out []string
	for _, s := range rep.Samples {
		if !slices.Contains(out, s.Data) {
			out = append(out, s.Data)
		}
	}
	return out
}

// Markdown is the load section of docs/benchmarks.md: the machine, the
// limits, every figure with its limit and ratio, the plots (relative to
// the document, under plotDir), and what changed since prev.
func Markdown(rep Report, prev *Report, plotDir string, plots []string) string {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "Measured %s by `hearth bench`. Machine: %s, %d cores, %s memory, %s, %s; %s.\n",
		rep.Started.Format("2 January 2006 15:04 MST"), m.CPU, m.Cores, m.Memory, m.Kernel, m.Disk, m.Go)
	fmt.Fprintf(&b, "Load average when the run began: %.2f, %.2f, %.2f; when it ended: %.2f, %.2f, %.2f (on %d cores: other engineers' builds and tests were running, so read the ratios, not the absolute figures).\n\n",
		rep.LoadFrom[0], rep.LoadFrom[1], rep.LoadFrom[2], rep.LoadTo[0], rep.LoadTo[1], rep.LoadTo[2], m.Cores)

	b.WriteString("### The machine's limits, measured in the same run\n\n")
	b.WriteString("| data | engine | fsync (4 KiB + fdatasync) | raw commits, 1 writer | raw commits, N writers | static file through the server |\n|---|---|---|---|---|---|\n")
	for _, l := range rep.Limits {
		fmt.Fprintf(&b, "| %s | %s %s | %.0f/s | %.0f/s | %.0f/s (%d) | %s |\n", l.Data, l.Engine, l.EngineVer, l.Fsync, l.Commits, l.CommitsN, l.CommitConn, staticSummary(l.Static))
	}
	b.WriteString("\n### Every figure with its limit\n\n")
	b.WriteString("| data | mix | load | throughput | limit | ratio | p50 | p95 | p99 | errors |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range rep.Samples {
		load := fmt.Sprintf("%d clients", s.Clients)
		if s.Clients == 0 {
			load = fmt.Sprintf("%.0f/s offered", s.Rate)
		}
		extra := ""
		if s.Commits > 0 {
			extra = fmt.Sprintf("; %.1f writes per commit", float64(s.Writes)/float64(s.Commits))
		}
		errs := fmt.Sprint(s.Errors)
		if s.FirstError != "" {
			errs += " (" + truncate(s.FirstError, 60) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f/s | %s %.0f/s | %.1f%%%s | %.1f ms | %.1f ms | %.1f ms | %s |\n",
			s.Data, s.Mix, load, s.Throughput, s.LimitName, s.Limit, 100*s.Ratio, extra, s.P50, s.P95, s.P99, errs)
	}
	if len(plots) > 0 {
		b.WriteString("\n### Plots\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(p, ".svg"), filepath.ToSlash(filepath.Join(plotDir, p)))
		}
	}
	if prev != nil {
		b.WriteString("### Changed since the last report\n\n")
		fmt.Fprintf(&b, "Against the run of %s (ratios, because the machine's load differs between runs):\n\n", prev.Started.Format("2 January 2006 15:04 MST"))
		b.WriteString("| data | mix | load | ratio then | ratio now | p99 then | p99 now |\n|---|---|---|---|---|---|---|\n")
		any := false
		for _, s := range rep.Samples {
			for _, o := range prev.Samples {
				if o.Data == s.Data && o.Mix == s.Mix && o.Clients == s.Clients && o.Rate == s.Rate {
					any = true
					load := fmt.Sprintf("%d clients", s.Clients)
					if s.Clients == 0 {
						load = fmt.Sprintf("%.0f/s", s.Rate)
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %.1f%% | %.1f%% | %.1f ms | %.1f ms |\n", s.Data, s.Mix, load, 100*o.Ratio, 100*s.Ratio, o.P99, s.P99)
				}
			}
		}
		if !any {
			b.WriteString("| (no figure in common) | | | | | | |\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
