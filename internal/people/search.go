package people

// Finding people: by part of a name (case and accents do not matter, so
// "sian" finds Siân), by NHS number (with or without spaces), by date of
// birth as typed in the UK, within a location. Only people the actor has a
// relationship with are candidates, limited in SQL by the door's Reach;
// each person on the page of results is decided and audited (a search
// result is a read of everyone it shows). Results come a page at a time in
// a stable order, with the total, so nothing is ever cut off silently.

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// letters that do not decompose into a base letter and an accent.
var unfoldable = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i")

// Fold lower-cases s and takes the accents off its letters ("Siân" →
// "sian", "Seán Ó Briain" → "sean o briain"), and drops the apostrophes,
// hyphens and full stops people type or leave out ("O'Brien" → "obrien").
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		folded = strings.ToLower(s)
	}
	folded = unfoldable.Replace(folded)
	var b strings.Builder
	space := false
	for _, r := range folded {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '-' || r == '.' || r == '`':
		case unicode.IsSpace(r) || r == ',':
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SearchKey is the folded names a person is found by: given, family and
// preferred, so a search for what they like to be called finds them too.
func SearchKey(given, family, preferred string) string {
	return strings.TrimSpace(Fold(given + " " + family + " " + preferred))
}

// RefreshSearchKeys fills in the search key of people written before it
// existed (or by anything that left it empty). It changes no field of the
// person's own: the key is a derived index, never shown. Run at start-up.
func (s *Service) RefreshSearchKeys(ctx context.Context) (int, error) {
	n := 0
	for {
		type row struct{ id, given, family, preferred string }
		var batch []row
		err := s.door.Outside(ctx, door.SearchIndex, func(q *door.Plain) error {
			rows, err := q.Query(`SELECT id, given_name, family_name, preferred_name FROM people WHERE search_key = '' ORDER BY id LIMIT 500`)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.given, &r.family, &r.preferred); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range batch {
				key := SearchKey(r.given, r.family, r.preferred)
				if key == "" {
					key = " " // a name of nothing but punctuation: mark it done
				}
				if _, err := q.Exec(`UPDATE people SET search_key = ? WHERE id = ? AND search_key = ''`, key, r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("people: refresh search keys: %w", err)
		}
		n += len(batch)
		if len(batch) < 500 {
			return n, nil
		}
	}
}

// Query is a search for people.
type Query struct {
	Text         string // part of a name, an NHS number or a date of birth; empty lists everyone the actor may see
	LocationID   string // only people placed at this location
	IncludeEnded bool   // include people whose care has ended
	Offset       int
	Limit        int // 20 when zero; at most 100
}

// Results is one page of people found.
type Results struct {
	People []Person
	Total  int    // everyone found, of whom People is the page from Offset
	Offset int    // where this page starts
	Limit  int    // the page size used
	By     string // how the text was read: "name", "nhs-number", "date-of-birth" or "" (everyone)
}

// MaxPage is the most people a page of results holds.
const MaxPage = 100

// Search finds people the actor may see. The query is audited as a
// provider-level search; every person on the page of results is then
// decided and audited as a read of their identity.
func (s *Service) Search(ctx context.Context, actor door.Actor, q Query) (Results, error) {
	res := Results{Offset: max(q.Offset, 0), Limit: q.Limit}
	if res.Limit <= 0 {
		res.Limit = 20
	}
	res.Limit = min(res.Limit, MaxPage)
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		query, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: Purpose(actor), ResourceType: "Patient", Detail: "search"})
		if err != nil {
			return err
		}
		where, args, by := searchCondition(q)
		res.By = by
		if q.LocationID != "" {
			where += ` AND p.location_id = ?`
			args = append(args, q.LocationID)
		}
		if !q.IncludeEnded {
			where += ` AND p.ended_at IS NULL`
		}
		reach, reachArgs := sc.Reach("p.id", "p.location_id")
		where += ` AND ` + reach
		args = append(args, reachArgs...)
		if err := sc.QueryRow(`SELECT COUNT(*) FROM people p WHERE `+where, args...).Scan(&res.Total); err != nil {
			return err
		}
		candidates, err := queryPeople(sc, `SELECT `+personColumns+` FROM people p JOIN locations l ON l.id = p.location_id
			WHERE `+where+` ORDER BY p.family_name, p.given_name, p.id LIMIT ? OFFSET ?`, append(args, res.Limit, res.Offset)...)
		if err != nil {
			return err
		}
		res.People, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: Purpose(actor), ResourceType: "Patient",
			Detail: "search result"}, candidates, func(p Person) string { return p.ID })
		if err != nil {
			return err
		}
		query.Detail = searchDetail(q, by, res)
		return nil
	})
	return res, err
}

// searchCondition reads the text of a query: ten digits (spaces and
// hyphens allowed) are an NHS number, a UK date is a date of birth, and
// anything else is part of a name, every word of which must match.
func searchCondition(q Query) (string, []any, string) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return `1 = 1`, nil, ""
	}
	if nhs := NormaliseNHSNumber(text); nhs != "" {
		return `p.nhs_number = ?`, []any{nhs}, "nhs-number"
	}
	if d, ok := hearth.ParseUKDate(text); ok {
		return `p.date_of_birth = ?`, []any{d}, "date-of-birth"
	}
	var conds []string
	var args []any
	for _, word := range strings.Fields(Fold(text)) {
		conds = append(conds, `p.search_key LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(word)+"%")
	}
	if len(conds) == 0 {
		return `1 = 0`, nil, "name"
	}
	return strings.Join(conds, " AND "), args, "name"
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchDetail says what was searched for in the audit log, without the
// text itself when it identifies someone (an NHS number or a date of
// birth): the audit log is read by more people than the record.
func searchDetail(q Query, by string, res Results) string {
	what := "everyone"
	switch by {
	case "name":
		what = "a name"
	case "nhs-number":
		what = "an NHS number"
	case "date-of-birth":
		what = "a date of birth"
	}
	d := fmt.Sprintf("searched for %s: %d found, showing %d from %d", what, res.Total, len(res.People), res.Offset+1)
	if q.LocationID != "" {
		d += " at one location"
	}
	if q.IncludeEnded {
		d += ", including people whose care has ended"
	}
	return d
}
