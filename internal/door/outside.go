package door

// The named ways to the database that are not a decision about a person.
// The list is closed: each names what it reaches and why no decision is
// needed, docs/architecture.md lists them, and the door's structure test
// fails if a package uses one it is not listed for.

import (
	"context"
	"database/sql"

	"hearth/internal/audit"
	"hearth/internal/store"
)

// Exception is one named way to the database without a decision.
type Exception int

const (
	// Organisation is the provider and its locations: what the provider
	// is, not anyone's record.
	Organisation Exception = iota + 1
	// InvitationCode redeems a portal invitation by the code its holder
	// typed, before they have an account: looking it up, and linking the
	// new account to the person or representative it was issued for. The
	// invitation was issued through the door by staff who may manage the
	// person; the code is the credential; the first access through the new
	// link is decided and audited by the door.
	InvitationCode
	// AccountPreferences are a portal account's own display settings
	// (large print, easy read), read for that account only.
	AccountPreferences
	// NotificationDelivery is the server sending queued notices ("you have
	// a new secure message"): the notice was written, decided and audited
	// with the message; delivery only marks it sent.
	NotificationDelivery
	// PartnerSystems are the partner organisations' systems: their
	// registration and public keys, the assertions they sign to ask for a
	// token and the bearer tokens they are given, and their bulk export
	// jobs. No one's record: before a partner is known to be acting, its
	// signed assertion or its token is the credential (SMART Backend
	// Services); at the command line, the operator already holds the
	// database; an export's files are fetched only by the partner that
	// asked, and what is in them was decided and audited person by person
	// (as that partner, through a scope) when they were written. Every
	// access a partner makes to a person's record is decided by the door,
	// and token issue and refusal are audited (Plain.Note).
	PartnerSystems
	// SearchIndex fills in a derived index column (the folded name people
	// are found by) for rows written before it existed. It reads names
	// and writes only the index, never anything shown, and nothing leaves
	// the database: every search that uses the index is decided and
	// audited.
	SearchIndex
	exceptionCount
)

var exceptionNames = [exceptionCount]string{"", "organisation", "invitation-code", "account-preferences", "notification-delivery", "partner-systems", "search-index"}

func (e Exception) String() string {
	if e > 0 && e < exceptionCount {
		return exceptionNames[e]
	}
	return "unknown"
}

// Exceptions lists every exception, for the structure test and the docs.
func Exceptions() []Exception {
	out := make([]Exception, 0, exceptionCount-1)
	for e := Exception(1); e < exceptionCount; e++ {
		out = append(out, e)
	}
	return out
}

// Plain is a transaction opened under an Exception.
type Plain struct {
	ctx context.Context
	tx  *store.Tx
	log *audit.Log
}

// Outside runs fn in a transaction under the named exception, with no
// decision and no audit event.
func (d *Door) Outside(ctx context.Context, e Exception, fn func(q *Plain) error) error {
	return d.db.Write(ctx, func(tx *store.Tx) error { return fn(&Plain{ctx: ctx, tx: tx, log: d.log}) })
}

// Note appends an event that is not a decision (a partner system
// registered at the command line, a token issued) in this transaction, so
// it is durable exactly when the change it records is.
func (p *Plain) Note(ev audit.Event) error {
	_, err := p.log.Append(p.ctx, p.tx, ev)
	return err
}

// Query runs a query.
func (p *Plain) Query(query string, args ...any) (*sql.Rows, error) {
	return p.tx.Query(p.ctx, query, args...)
}

// QueryRow runs a query that returns at most one row.
func (p *Plain) QueryRow(query string, args ...any) *Row {
	return &Row{row: p.tx.QueryRow(p.ctx, query, args...)}
}

// Exec runs a statement.
func (p *Plain) Exec(query string, args ...any) (sql.Result, error) {
	return p.tx.Exec(p.ctx, query, args...)
}

// Querier is what a Scope and a Plain transaction both offer, for helpers
// that read organisation data (locations, the technology register) from
// either.
type Querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *Row
}

// Tx is a Querier that also writes: a Scope after a permit, or a Plain
// transaction under an exception.
type Tx interface {
	Querier
	Exec(query string, args ...any) (sql.Result, error)
}

var (
	_ Tx = (*Scope)(nil)
	_ Tx = (*Plain)(nil)
)
