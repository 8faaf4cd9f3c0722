package store

// RebindFor exposes rebind to the tests, so both dialects' placeholders are
// tested whichever engine the suite runs on.
var RebindFor = rebind

// Queued is how many pieces of work wait for the SQLite writer.
func Queued(db *DB) int { return len(db.writer.jobs) }
