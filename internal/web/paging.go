package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Every list that grows is shown a page at a time, in a stable order, with
// how many there are in all ("Showing 21–40 of 135 people"), so nothing is
// ever cut off without saying so.

// pageNumber reads the page asked for in the query parameter param (1 when
// missing or not a number).
func pageNumber(r *http.Request, param string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(param))
	if err != nil || n < 1 || n > 1_000_000 {
		return 1
	}
	return n
}

// pageOffset is where page param starts, with size items to a page.
func pageOffset(r *http.Request, param string, size int) int {
	return (pageNumber(r, param) - 1) * size
}

// pager is the line under a list and its previous and next links.
type pager struct {
	From, To, Total int
	Noun            string // what is counted, plural or singular to fit Total
	Prev, Next      string // links to the neighbouring pages, "" when there is none
	Param           string // the query parameter that holds the page
}

// Showing is the count as a person reads it.
func (p pager) Showing() string {
	switch {
	case p.Total == 0:
		return "No " + p.Noun
	case p.From == 0:
		return fmt.Sprintf("No more %s: all %d are on earlier pages", p.Noun, p.Total)
	case p.From == 1 && p.To == p.Total:
		return fmt.Sprintf("Showing all %d %s", p.Total, p.Noun)
	}
	return fmt.Sprintf("Showing %d–%d of %d %s", p.From, p.To, p.Total, p.Noun)
}

// Paged reports whether there is more than one page.
func (p pager) Paged() bool { return p.Prev != "" || p.Next != "" }

// newPager describes the page of shown items starting at offset, of total,
// with size to a page, linking to the neighbouring pages by param on the
// request's own URL (the rest of its query kept).
func newPager(r *http.Request, param string, offset, size, shown, total int, one, many string) pager {
	p := pager{Total: total, Noun: many, Param: param}
	if total == 1 {
		p.Noun = one
	}
	if shown > 0 {
		p.From, p.To = offset+1, offset+shown
	}
	page := offset/max(size, 1) + 1
	link := func(n int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		if n <= 1 {
			q.Del(param)
		} else {
			q.Set(param, strconv.Itoa(n))
		}
		u := r.URL.Path
		if enc := q.Encode(); enc != "" {
			u += "?" + enc
		}
		return u
	}
	if page > 1 {
		p.Prev = link(page - 1)
		if shown == 0 && total > 0 {
			p.Prev = link((total-1)/max(size, 1) + 1) // past the end: back to the last page
		}
	}
	if offset+shown < total && shown > 0 {
		p.Next = link(page + 1)
	}
	return p
}
