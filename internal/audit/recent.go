package audit

import (
	"context"
	"fmt"

	"hearth/internal/store"
)

// RecentHistory returns the newest limit events about one person, newest
// first, and whether there are older ones. Unlike PersonHistory it does not
// count them all: a page that shows the latest few costs the same however
// long the person's history is.
func (l *Log) RecentHistory(ctx context.Context, tx *store.Tx, personID string, limit int) ([]Event, bool, error) {
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE person_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
		personID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("audit: recent history: %w", err)
	}
	defer rows.Close()
	out := make([]Event, 0, limit+1)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}
