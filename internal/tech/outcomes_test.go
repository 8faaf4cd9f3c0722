package tech_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// person is one user of the technology in the outcome tests, with the
// truth the report must not give away.
type person struct {
	p       people.Person
	profile map[string]string
	score   string // experience, "" for none recorded
}

// outcomeCast records uses, profiles and experience scores for each of cast
// at loc, and returns them.
func (f *fixture) outcomeCast(loc people.Location, cast []person) []person {
	f.T.Helper()
	for i := range cast {
		c := &cast[i]
		c.p = f.Person(f.Manager, loc, c.p.GivenName, "Test", "")
		f.consent(c.p, f.Bed)
		n := validUse(f.Bed.ID)
		n.Reason = fmt.Sprintf("%s has fallen %d times at night this year getting up alone", c.p.GivenName, i+2)
		u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, c.p.ID, n)
		if err != nil {
			f.T.Fatal(err)
		}
		if err := f.Tech.RecordProfile(f.Ctx, f.Manager.Actor, c.p.ID, c.profile); err != nil {
			f.T.Fatal(err)
		}
		if c.score != "" {
			if err := f.Tech.RecordOutcome(f.Ctx, f.Manager.Actor, c.p.ID, u.ID, "experience", c.score, ""); err != nil {
				f.T.Fatal(err)
			}
		}
	}
	return cast
}

func named(name string, profile map[string]string, score string) person {
	return person{p: people.Person{GivenName: name}, profile: profile, score: score}
}

func prof(age, sex string) map[string]string { return map[string]string{"age_band": age, "sex": sex} }

// published is one figure the report shows: the set of people it is over.
type published struct {
	label string
	in    []bool
}

// cellsOf reads the report back into the sets of people behind each figure
// it shows and each it hides: for people counts (layer "people") and for
// the experience measure (the people with a score). The test knows the
// truth, as an attacker who knows some of the people might.
func cellsOf(t *testing.T, rep tech.OutcomeReport, cast []person, withScore bool) (shown, hidden []published) {
	t.Helper()
	member := func(c person) bool { return !withScore || c.score != "" }
	all := make([]bool, len(cast))
	for i, c := range cast {
		all[i] = member(c)
	}
	overallShown := !rep.PeopleSuppressed
	if withScore {
		overallShown = !rep.Overall[1].Suppressed
	}
	if overallShown {
		shown = append(shown, published{"Overall", all})
	} else {
		hidden = append(hidden, published{"Overall", all})
	}
	for _, r := range rep.Rows {
		var key string
		for _, c := range tech.Characteristics {
			if c.Title == r.Characteristic {
				key = c.Key
			}
		}
		in := make([]bool, len(cast))
		for i, c := range cast {
			in[i] = member(c) && tech.AnswerTitle(c.profile[key]) == r.Group
		}
		vis := !r.Suppressed
		if withScore && vis {
			vis = !r.Measures[1].Suppressed
		}
		cell := published{r.Characteristic + ": " + r.Group, in}
		if vis {
			shown = append(shown, cell)
		} else {
			hidden = append(hidden, cell)
		}
	}
	return shown, hidden
}

func size(in []bool) int {
	n := 0
	for _, b := range in {
		if b {
			n++
		}
	}
	return n
}

// inSpan reports whether target is a sum of multiples of the vectors, in
// exact rational arithmetic: whether adding and subtracting the published
// figures gives target's figure.
func inSpan(vectors [][]bool, target []bool) bool {
	rank := func(rows [][]bool) int {
		m := make([][]*big.Rat, len(rows))
		for i, r := range rows {
			m[i] = make([]*big.Rat, len(r))
			for j, b := range r {
				m[i][j] = new(big.Rat)
				if b {
					m[i][j].SetInt64(1)
				}
			}
		}
		rk := 0
		for col := 0; col < len(target) && rk < len(m); col++ {
			p := -1
			for i := rk; i < len(m); i++ {
				if m[i][col].Sign() != 0 {
					p = i
					break
				}
			}
			if p < 0 {
				continue
			}
			m[rk], m[p] = m[p], m[rk]
			for i := range m {
				if i == rk || m[i][col].Sign() == 0 {
					continue
				}
				f := new(big.Rat).Quo(m[i][col], m[rk][col])
				for j := range m[i] {
					m[i][j].Sub(m[i][j], new(big.Rat).Mul(f, m[rk][j]))
				}
			}
			rk++
		}
		return rk
	}
	return rank(vectors) == rank(append(append([][]bool{}, vectors...), target))
}

// assertNothingDerivable tries every way to combine the published figures:
// first each subtraction a reader would try by hand (the overall minus any
// set of rows of one characteristic, any row minus any other, the overall
// minus any two rows), then every sum and difference at all (the span),
// against every hidden figure and every set of fewer than min people.
func assertNothingDerivable(t *testing.T, what string, shown, hidden []published, n, min int) {
	t.Helper()
	small := func(v []int) bool {
		k := 0
		for _, x := range v {
			if x != 0 && x != 1 {
				return false
			}
			k += x
		}
		return k > 0 && k < min
	}
	vec := func(p published) []int {
		v := make([]int, n)
		for i, b := range p.in {
			if b {
				v[i] = 1
			}
		}
		return v
	}
	for _, s := range shown {
		if k := size(s.in); k > 0 && k < min {
			t.Errorf("%s: %q is shown from %d people", what, s.label, k)
		}
	}
	// By hand: overall minus any subset of one characteristic's rows.
	var overall []int
	byChar := map[string][]published{}
	for _, s := range shown {
		if s.label == "Overall" {
			overall = vec(s)
			continue
		}
		byChar[strings.SplitN(s.label, ":", 2)[0]] = append(byChar[strings.SplitN(s.label, ":", 2)[0]], s)
	}
	tries := 0
	if overall != nil {
		for ch, rows := range byChar {
			for mask := 1; mask < 1<<len(rows); mask++ {
				v := append([]int(nil), overall...)
				var names []string
				for j, r := range rows {
					if mask&(1<<j) != 0 {
						for i, x := range vec(r) {
							v[i] -= x
						}
						names = append(names, r.label)
					}
				}
				tries++
				if small(v) {
					t.Errorf("%s: Overall minus %v (%s) leaves a group of fewer than %d", what, names, ch, min)
				}
			}
		}
	}
	// By hand: any published figure minus any other, and the overall
	// minus any two.
	for i, a := range shown {
		for j, b := range shown {
			if i == j {
				continue
			}
			v := vec(a)
			for k, x := range vec(b) {
				v[k] -= x
			}
			tries++
			if small(v) {
				t.Errorf("%s: %q minus %q leaves a group of fewer than %d", what, a.label, b.label, min)
			}
			if overall != nil && i < j {
				w := append([]int(nil), overall...)
				for k := range w {
					w[k] -= vec(a)[k] + vec(b)[k]
				}
				tries++
				if small(w) {
					t.Errorf("%s: Overall minus %q and %q leaves a group of fewer than %d", what, a.label, b.label, min)
				}
			}
		}
	}
	// Every combination: no hidden figure, and no set of 1 to min-1 people
	// (every one of them), is a sum of multiples of the published figures.
	var vs [][]bool
	for _, s := range shown {
		vs = append(vs, s.in)
	}
	for _, h := range hidden {
		if size(h.in) > 0 && len(vs) > 0 && inSpan(vs, h.in) {
			t.Errorf("%s: the hidden figure %q can be worked out from the published ones", what, h.label)
		}
	}
	var subsets func(start, k int, cur []bool)
	subsets = func(start, k int, cur []bool) {
		if k > 0 {
			tries++
			if len(vs) > 0 && inSpan(vs, cur) {
				var who []int
				for i, b := range cur {
					if b {
						who = append(who, i)
					}
				}
				t.Errorf("%s: the figure for people %v (fewer than %d) can be worked out from the published ones", what, who, min)
			}
		}
		if k == min-1 {
			return
		}
		for i := start; i < n; i++ {
			cur[i] = true
			subsets(i+1, k+1, cur)
			cur[i] = false
		}
	}
	subsets(0, 0, make([]bool, n))
	if tries == 0 {
		t.Fatalf("%s: no subtraction was tried", what)
	}
}

// The finding: a group of 3 was hidden, but Overall minus the other
// groups gave it back; and a crossing of two characteristics (the people
// 65 to 79 who are not women) must not leave one person's score either.
func TestNoSuppressedCellOrSmallGroupCanBeWorkedOutByAnySubtraction(t *testing.T) {
	f := newFixture(t)
	cast := f.outcomeCast(f.Home, []person{
		named("Ada", prof("80+", "female"), "4"), named("Bea", prof("80+", "female"), "5"), named("Cat", prof("80+", "female"), "3"),
		named("Dee", prof("80+", "female"), "4"), named("Eva", prof("80+", "female"), "2"), named("Fay", prof("65-79", "female"), "5"),
		named("Gus", prof("65-79", "male"), "1"), named("Hal", prof("65-79", "male"), "4"), named("Ian", prof("65-79", "male"), "2"),
		named("Jo", prof("65-79", "female"), "3"), named("Kit", prof("65-79", "female"), ""),
	})
	rep, err := f.Tech.Outcomes(f.Ctx, f.Manager.Actor, f.Bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Men are 3: hidden, and so is something else, so Overall minus women
	// does not give them back.
	var men, women *tech.GroupRow
	for i, r := range rep.Rows {
		if r.Characteristic == "Sex" && r.Group == "Male" {
			men = &rep.Rows[i]
		}
		if r.Characteristic == "Sex" && r.Group == "Female" {
			women = &rep.Rows[i]
		}
	}
	if men == nil || !men.Suppressed || men.People != 0 {
		t.Fatalf("a group of 3 is shown: %+v", men)
	}
	if rep.PeopleSuppressed || rep.People != len(cast) {
		t.Fatalf("overall people = %d (suppressed %v), want %d shown", rep.People, rep.PeopleSuppressed, len(cast))
	}
	if women != nil && !women.Suppressed {
		t.Errorf("women (8) are shown beside Overall (11): Overall minus women gives the 3 men: %+v", women)
	}
	for _, layer := range []bool{false, true} {
		shown, hidden := cellsOf(t, rep, cast, layer)
		assertNothingDerivable(t, fmt.Sprintf("scores=%v", layer), shown, hidden, len(cast), rep.MinGroup)
	}
}

// The second finding: with 2 users, Overall showed one person's
// score to anyone who knew the other's.
func TestOverallIsNotShownForFewerPeopleThanTheThreshold(t *testing.T) {
	f := newFixture(t)
	cast := f.outcomeCast(f.Home, []person{named("Ada", prof("80+", "female"), "4"), named("Bea", prof("80+", "female"), "2")})
	rep, err := f.Tech.Outcomes(f.Ctx, f.Manager.Actor, f.Bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.PeopleSuppressed || rep.People != 0 {
		t.Errorf("the count of 2 users is shown: %d", rep.People)
	}
	for _, m := range rep.Overall {
		if !m.Suppressed || m.Mean != 0 || m.Records != 0 {
			t.Errorf("Overall %s is shown from 2 people: %+v", m.Name, m)
		}
	}
	for _, r := range rep.Rows {
		if !r.Suppressed {
			t.Errorf("a group is shown from 2 people: %+v", r)
		}
	}
	for _, layer := range []bool{false, true} {
		shown, hidden := cellsOf(t, rep, cast, layer)
		assertNothingDerivable(t, fmt.Sprintf("scores=%v", layer), shown, hidden, len(cast), rep.MinGroup)
	}
}

// A group of 5 people where only 2 have a score: the group's count is
// shown but its score, from 2 people, is not.
func TestNoScoreIsShownFromFewerPeopleThanTheThresholdEvenInALargeGroup(t *testing.T) {
	f := newFixture(t)
	var cast []person
	for i, n := range []string{"Ada", "Bea", "Cat", "Dee", "Eva", "Fay", "Gil", "Hen", "Ivy", "Jan"} {
		score := ""
		if i < 2 || i >= 5 {
			score = "4"
		}
		sex := "female"
		if i >= 5 {
			sex = "male"
		}
		cast = append(cast, named(n, prof("80+", sex), score))
	}
	cast = f.outcomeCast(f.Home, cast)
	rep, err := f.Tech.Outcomes(f.Ctx, f.Manager.Actor, f.Bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Group == "Female" && (r.Suppressed || !r.Measures[1].Suppressed) {
			t.Errorf("women: 5 people, 2 scores: %+v", r)
		}
	}
	for _, layer := range []bool{false, true} {
		shown, hidden := cellsOf(t, rep, cast, layer)
		assertNothingDerivable(t, fmt.Sprintf("scores=%v", layer), shown, hidden, len(cast), rep.MinGroup)
	}
}

// Bad input: a report for one location, beside the report for every
// location, would give away the few people elsewhere; it is refused,
// naming the location, and changes nothing.
func TestAnOutcomesQueryThatWouldLetASmallGroupBeWorkedOutIsRefused(t *testing.T) {
	f := newFixture(t)
	annexe := f.Location("Birch Annexe", people.CareHome)
	mgr := f.Staff("annexemgr", access.RegisteredManager, f.Home, annexe)
	f.Manager = mgr
	f.train(mgr, "BedSense safe use", "2026-01-10", "")
	var cast []person
	for _, n := range []string{"Ada", "Bea", "Cat", "Dee", "Eva", "Fay"} {
		cast = append(cast, named(n, prof("80+", "female"), "4"))
	}
	f.outcomeCast(f.Home, cast)
	f.outcomeCast(annexe, []person{named("Gus", prof("80+", "male"), "1"), named("Hal", prof("80+", "male"), "2")})
	before := f.Count(`SELECT COUNT(*) FROM audit_events`)
	for _, loc := range []people.Location{f.Home, annexe} {
		_, err := f.Tech.OutcomesFor(f.Ctx, mgr.Actor, tech.OutcomeQuery{TechnologyID: f.Bed.ID, LocationID: loc.ID})
		if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(problems(err), "Location") || !strings.Contains(problems(err), "fewer than 5") {
			t.Errorf("%s: %v", loc.Name, err)
		}
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE outcome = 'success'`); n > before {
		t.Errorf("a refused report was recorded as read")
	}
	if _, err := f.Tech.OutcomesFor(f.Ctx, mgr.Actor, tech.OutcomeQuery{TechnologyID: f.Bed.ID, LocationID: "not-an-id"}); !strings.Contains(problems(err), "Location") {
		t.Errorf("a made-up location: %v", err)
	}
}
