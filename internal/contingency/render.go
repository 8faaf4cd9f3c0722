package contingency

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"filippo.io/age"

	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

var funcs = template.FuncMap{
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2 January 2006")
	},
	"when": func(t time.Time) string { return t.In(london).Format("2 January 2006 at 15:04") },
	"join": strings.Join,
	"age":  func(p people.Person, now time.Time) int { return p.Age(now) },
	"formats": func(codes []string) string {
		var out []string
		for _, c := range codes {
			title := c
			for _, f := range care.AccessibleFormats {
				if f.Value == c {
					title = f.Title
				}
			}
			out = append(out, title)
		}
		return strings.Join(out, ", ")
	},
}

// The page is plain HTML with its own print styles and no script or
// outside resource, so it opens and prints from any browser with no
// network: one person to a printed page.
var page = template.Must(template.New("pack").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Contingency pack: {{.Location.Name}}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; color: #0b0c0c; margin: 1.5em; }
h1 { font-size: 18pt; margin: 0 0 .2em; }
h2 { font-size: 13pt; margin: 1em 0 .3em; border-bottom: 2px solid #0b0c0c; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border: 1px solid #b1b4b6; padding: .25em .4em; }
.person { page-break-after: always; break-after: page; }
.cover { page-break-after: always; break-after: page; }
.notheld { font-style: italic; }
.identity td:first-child { width: 30%; font-weight: bold; }
@page { size: A4; margin: 12mm; }
@media print { body { margin: 0; font-size: 10pt; } a { color: inherit; text-decoration: none; } }
</style>
</head>
<body>
<section class="cover">
<h1>Contingency pack: {{.Location.Name}}</h1>
<p>Written by Hearth on {{when .Generated}}. It holds a page for each of the {{len .Pages}} people in care here at that moment, for use only while Hearth cannot be reached. Destroy printed copies securely once Hearth is back, and record in Hearth any care given meanwhile.</p>
<p>Check each page against what you know of the person: anything that changed after {{when .Generated}} is not here.</p>
<ol>{{range .Pages}}<li>{{.Person.FamilyName}}, {{.Person.GivenName}}{{if .Person.NHSNumber}} (NHS number {{.Person.NHSNumber}}){{end}}</li>{{end}}</ol>
</section>
{{range .Pages}}{{$now := $.Generated}}
<section class="person" data-person="{{.Person.ID}}">
<h1>{{.Person.GivenName}} {{.Person.FamilyName}}</h1>
<table class="identity">
<tr><td>Likes to be called</td><td>{{if .Person.PreferredName}}{{.Person.PreferredName}}{{else}}{{.Person.GivenName}}{{end}}{{range .CallMe}}. {{.Body}}{{end}}</td></tr>
<tr><td>Date of birth</td><td>{{day .Person.DateOfBirth}} (aged {{age .Person $now}})</td></tr>
<tr><td>NHS number</td><td>{{if .Person.NHSNumber}}{{.Person.NHSNumber}}{{else}}Not recorded{{end}}</td></tr>
<tr><td>Address</td><td>{{.Person.Address}} {{.Person.Postcode}}</td></tr>
<tr><td>GP practice</td><td>{{if .Person.GPPractice}}{{.Person.GPPractice}}{{else}}Not recorded{{end}}</td></tr>
<tr><td>Photograph</td><td class="notheld">Hearth keeps no photographs. Use the photograph in the paper file, if the person agreed to one.</td></tr>
</table>

<h2>Allergies</h2>
<p class="notheld">Hearth does not record allergies. Check the GP record, the medicines administration chart and the pharmacy label before giving anything. Do not take this as "no allergies".</p>

<h2>Medicines and when they are due</h2>
{{if .Medicines}}<table><tr><th>Medicine</th><th>Dose and route</th><th>When</th><th>Notes</th></tr>
{{range .Medicines}}<tr><td>{{.Name}} {{.Strength}}{{if .Controlled}} (controlled drug){{end}}</td><td>{{.Dose}}, {{.RouteTitle}}</td>
<td>{{if .PRN}}When needed{{if .IntervalText}}: {{.IntervalText}}{{end}}{{else}}{{join .Times ", "}}{{end}}</td>
<td>{{.Instructions}}</td></tr>
{{end}}</table>{{else}}<p>No current medicines are recorded in Hearth.</p>{{end}}

<h2>Key risks</h2>
{{if .Risks}}<table><tr><th>Risk</th><th>What could happen</th><th>What reduces it</th></tr>
{{range .Risks}}<tr><td>{{.Title}} ({{.Likelihood}} likelihood, {{.Impact}} impact)</td><td>{{.CouldHappen}}</td><td>{{.Reduces}}</td></tr>
{{end}}</table>{{else}}<p>No risk assessments are recorded in Hearth.</p>{{end}}

<h2>Safety plan</h2>
{{with .Safety}}<table>
<tr><th>What can trigger a crisis</th><td>{{.Triggers}}</td></tr>
<tr><th>Warning signs</th><td>{{.WarningSigns}}</td></tr>
<tr><th>What helps</th><td>{{.WhatHelps}}</td></tr>
<tr><th>Who to contact</th><td>{{.Contacts}}</td></tr>
{{if .PersonsWords}}<tr><th>In their words</th><td>{{.PersonsWords}}</td></tr>{{end}}
</table>{{else}}<p>No safety plan is recorded in Hearth.</p>{{end}}

<h2>Communication needs</h2>
{{if .Communication}}<ul>{{range .Communication}}<li>{{.Body}}{{if .Formats}} Formats: {{formats .Formats}}.{{end}}{{if .Support}} Support: {{.Support}}{{end}}</li>{{end}}</ul>{{else}}<p>No communication needs are recorded in Hearth.</p>{{end}}
{{if .Worries}}<p><strong>Things that worry or upset them:</strong> {{range .Worries}}{{.Body}} {{end}}</p>{{end}}
{{if .StayWell}}<p><strong>What helps them stay well:</strong> {{range .StayWell}}{{.Body}} {{end}}</p>{{end}}

<h2>Advance decisions and DNACPR</h2>
<p class="notheld">Hearth does not record advance decisions to refuse treatment or DNACPR (ReSPECT) status. Check the original signed forms kept with the person or in the paper file; if none can be found, follow the usual emergency procedure.</p>

<h2>Key contacts and representatives</h2>
{{if or .Representatives .ImportantPeople}}{{if .Representatives}}<table><tr><th>Name</th><th>Relationship and authority</th><th>Contact</th></tr>
{{range .Representatives}}<tr><td>{{.Name}}</td><td>{{.Relationship}}; {{.Authority}}{{if .Scope}} ({{.Scope}}){{end}}</td><td>{{.Contact}}</td></tr>
{{end}}</table>{{end}}
{{if .ImportantPeople}}<ul>{{range .ImportantPeople}}<li>{{.Body}}</li>{{end}}</ul>{{end}}{{else}}<p>No contacts or representatives are recorded in Hearth.</p>{{end}}
<p><small>{{.Person.GivenName}} {{.Person.FamilyName}}, NHS number {{if .Person.NHSNumber}}{{.Person.NHSNumber}}{{else}}not recorded{{end}}. Contingency pack, {{when $now}}.</small></p>
</section>
{{end}}
</body>
</html>
`))

// Render writes one location's pack as a printable HTML document.
func Render(w io.Writer, p Pack) error { return page.Execute(w, p) }

// FileSuffix ends every pack's file name.
const FileSuffix = ".contingency.html.age"

// FileName is the pack's file name: the location, then the time written
// (UTC), so a location's packs sort in the order they were written.
func FileName(p Pack) string {
	return slug(p.Location.Name) + "-" + p.Generated.UTC().Format("20060102T150405Z") + FileSuffix
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Write reads and writes a pack for every open location into dir,
// encrypted to recipients, each file complete on disk before it takes its
// name; then removes each location's older packs beyond keep (0 keeps all).
// It returns the files written.
func Write(ctx context.Context, d *door.Door, locs []people.Location, dir string, recipients []age.Recipient, keep int) ([]string, error) {
	if len(recipients) == 0 {
		return nil, fmt.Errorf("contingency: no recipient key to encrypt the pack to")
	}
	packs, err := ReadAll(ctx, d, locs)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, p := range packs {
		var html bytes.Buffer
		if err := Render(&html, p); err != nil {
			return written, fmt.Errorf("contingency: render %s: %w", p.Location.Name, err)
		}
		path := filepath.Join(dir, FileName(p))
		if err := encryptTo(path, html.Bytes(), recipients); err != nil {
			return written, err
		}
		written = append(written, path)
		if keep > 0 {
			if err := prune(dir, slug(p.Location.Name), keep); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func encryptTo(path string, data []byte, recipients []age.Recipient) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".contingency-*")
	if err != nil {
		return fmt.Errorf("contingency: %w", err)
	}
	defer os.Remove(tmp.Name())
	enc, err := age.Encrypt(tmp, recipients...)
	if err == nil {
		_, err = enc.Write(data)
	}
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("contingency: write %s: %w", path, err)
	}
	return nil
}

// prune keeps the newest keep packs of one location.
func prune(dir, location string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, FileSuffix) && strings.HasPrefix(n, location+"-") &&
			len(strings.TrimSuffix(strings.TrimPrefix(n, location+"-"), FileSuffix)) == len("20060102T150405Z") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return err
		}
		names = names[1:]
	}
	return nil
}
