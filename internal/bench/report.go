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
			extra = fmt.Sprintf("; %.1f requests per commit", float64(s.Writes)/float64(s.Commits))
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
