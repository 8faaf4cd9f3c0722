package tech

import (
	"math"
	"sort"
	"strings"
)

// Small-number suppression that cannot be undone by arithmetic.
//
// A published table of counts (or of sums: a mean times its number of
// records) is a set of cells, each an aggregate over a set of people. A
// reader can add and subtract any published cells, so what they can learn
// is every linear combination of them: the span of the cells' membership
// vectors. Hiding the cells of fewer than the threshold is not enough (the
// "Overall" minus the other groups gives the hidden one back), nor is
// protecting each characteristic on its own (65 and over minus women can
// leave one man). protect hides cells until, within that span:
//
//   - no hidden cell can be worked out,
//   - no set of fewer than the threshold of people who share a profile
//     across every characteristic shown (an "atom"), nor any two such sets
//     together, can be worked out,
//   - and, per characteristic, the groups hidden together hold either
//     nobody or at least the threshold (complementary suppression).
//
// Every membership vector is constant on atoms, so the span is computed on
// atoms: a handful of dimensions however many people there are.

// cell is one published figure's set of people.
type cell struct {
	in     []bool // over the universe of people
	size   int
	family int  // characteristic the cell belongs to; -1 for a total
	total  int  // index of the family's total (for a total: itself)
	hidden bool // not published
	fixed  bool // already published elsewhere (another report): may not change
}

func newCell(in []bool, family, total int) cell {
	c := cell{in: in, family: family, total: total}
	for _, b := range in {
		if b {
			c.size++
		}
	}
	return c
}

// protect hides cells of cs so that nothing under min people can be worked
// out from the published ones. It reports false when that cannot be done
// by hiding cells it may change (the query itself would expose someone).
func protect(cs []cell, min int) bool {
	for i := range cs {
		if !cs[i].fixed && cs[i].size < min {
			cs[i].hidden = true
		}
	}
	for {
		if complementary(cs, min) {
			continue
		}
		leak, ok := firstLeak(cs, min)
		if !ok {
			return true
		}
		if !hideFor(cs, leak) {
			return false
		}
	}
}

// complementary hides, in each family, the whole family when its total is
// hidden, and the smallest published groups until those hidden together
// hold nobody or at least min people. It reports whether it changed
// anything.
func complementary(cs []cell, min int) bool {
	changed := false
	families := map[int][]int{}
	for i, c := range cs {
		if c.family >= 0 {
			families[c.family] = append(families[c.family], i)
		}
	}
	keys := make([]int, 0, len(families))
	for f := range families {
		keys = append(keys, f)
	}
	sort.Ints(keys)
	for _, f := range keys {
		idx := families[f]
		total := cs[idx[0]].total
		for _, i := range idx {
			if cs[total].hidden && !cs[i].hidden && !cs[i].fixed {
				cs[i].hidden, changed = true, true
			}
		}
		if cs[total].hidden {
			continue
		}
		for {
			h := 0
			for _, i := range idx {
				if cs[i].hidden {
					h += cs[i].size
				}
			}
			if h == 0 || h >= min {
				break
			}
			best := -1
			for _, i := range idx {
				if !cs[i].hidden && !cs[i].fixed && cs[i].size > 0 && (best < 0 || cs[i].size < cs[best].size) {
					best = i
				}
			}
			if best < 0 {
				// Nothing left to hide in this family: hide its total.
				if cs[total].fixed {
					break // firstLeak will find what this leaves open
				}
				cs[total].hidden, changed = true, true
				break
			}
			cs[best].hidden, changed = true, true
		}
	}
	return changed
}

// atoms groups the universe by membership of every cell.
func atoms(cs []cell) (sizes []int, of []int) {
	if len(cs) == 0 {
		return nil, nil
	}
	n := len(cs[0].in)
	of = make([]int, n)
	seen := map[string]int{}
	var b strings.Builder
	for p := 0; p < n; p++ {
		b.Reset()
		any := false
		for _, c := range cs {
			if c.in[p] {
				b.WriteByte('1')
				any = true
			} else {
				b.WriteByte('0')
			}
		}
		if !any {
			of[p] = -1 // in no cell: in nothing published
			continue
		}
		k := b.String()
		a, ok := seen[k]
		if !ok {
			a = len(sizes)
			seen[k] = a
			sizes = append(sizes, 0)
		}
		of[p] = a
		sizes[a]++
	}
	return sizes, of
}

// atomVector is a cell's membership over atoms.
func atomVector(c cell, of []int, natoms int) []float64 {
	v := make([]float64, natoms)
	for p, in := range c.in {
		if in && of[p] >= 0 {
			v[of[p]] = 1
		}
	}
	return v
}

// span is a basis in reduced echelon form.
type span struct {
	rows  [][]float64
	pivot []int
}

const eps = 1e-9

func (s *span) reduce(v []float64) []float64 {
	r := append([]float64(nil), v...)
	for i, row := range s.rows {
		if f := r[s.pivot[i]]; math.Abs(f) > eps {
			for j := range r {
				r[j] -= f * row[j]
			}
		}
	}
	return r
}

func (s *span) add(v []float64) {
	r := s.reduce(v)
	p := -1
	for j, x := range r {
		if math.Abs(x) > eps {
			p = j
			break
		}
	}
	if p < 0 {
		return
	}
	f := r[p]
	for j := range r {
		r[j] /= f
	}
	for i, row := range s.rows {
		if g := row[p]; math.Abs(g) > eps {
			for j := range row {
				row[j] -= g * r[j]
			}
			s.rows[i] = row
		}
	}
	s.rows, s.pivot = append(s.rows, r), append(s.pivot, p)
}

func (s *span) contains(v []float64) bool {
	for _, x := range s.reduce(v) {
		if math.Abs(x) > eps {
			return false
		}
	}
	return true
}

// leak is a set of atoms that the published cells give away.
type leak struct {
	atoms []int
	cell  int // the hidden cell it is, or -1
}

// firstLeak finds a hidden cell, a small atom or two small atoms together
// that can be worked out from the published cells.
func firstLeak(cs []cell, min int) (leak, bool) {
	sizes, of := atoms(cs)
	var sp span
	for _, c := range cs {
		if !c.hidden {
			sp.add(atomVector(c, of, len(sizes)))
		}
	}
	for i, c := range cs {
		if c.hidden && c.size > 0 && sp.contains(atomVector(c, of, len(sizes))) {
			return leak{cell: i, atoms: cellAtoms(c, of)}, true
		}
	}
	var small []int
	for a, n := range sizes {
		if n < min {
			small = append(small, a)
		}
	}
	unit := func(as ...int) []float64 {
		v := make([]float64, len(sizes))
		for _, a := range as {
			v[a] = 1
		}
		return v
	}
	for _, a := range small {
		if sp.contains(unit(a)) {
			return leak{atoms: []int{a}, cell: -1}, true
		}
	}
	for i, a := range small {
		for _, b := range small[i+1:] {
			if sizes[a]+sizes[b] < min && sp.contains(unit(a, b)) {
				return leak{atoms: []int{a, b}, cell: -1}, true
			}
		}
	}
	return leak{}, false
}

func cellAtoms(c cell, of []int) []int {
	seen := map[int]bool{}
	var out []int
	for p, in := range c.in {
		if in && of[p] >= 0 && !seen[of[p]] {
			seen[of[p]] = true
			out = append(out, of[p])
		}
	}
	return out
}

// hideFor hides the smallest published group cell (not a total) that
// holds part of the leak and may change; failing that, such a total. It
// reports false when nothing can be hidden.
func hideFor(cs []cell, l leak) bool {
	_, of := atoms(cs)
	touches := func(c cell) bool {
		for p, in := range c.in {
			if in && of[p] >= 0 {
				for _, a := range l.atoms {
					if of[p] == a {
						return true
					}
				}
			}
		}
		return false
	}
	for _, totals := range []bool{false, true} {
		best := -1
		for i, c := range cs {
			if c.hidden || c.fixed || (c.family < 0) != totals || !touches(c) || i == l.cell {
				continue
			}
			if best < 0 || c.size < cs[best].size {
				best = i
			}
		}
		if best >= 0 {
			cs[best].hidden = true
			return true
		}
	}
	return false
}
