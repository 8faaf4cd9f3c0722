-- Audit leaf format 2 (docs/audit-leaf.md). Events already in the log keep
-- format 1, the whole event as JSON, so every sealed leaf still verifies;
-- new events are written in format 2, which shows the person only what they
-- may see and commits to the rest by a hash salted with leaf_salt (hex,
-- never shown and never put in a receipt). Adding a column with a constant
-- default rewrites no rows on either engine.
ALTER TABLE audit_events ADD COLUMN leaf_format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN leaf_salt TEXT NOT NULL DEFAULT '';
