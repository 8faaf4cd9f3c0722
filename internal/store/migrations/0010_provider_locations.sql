-- Setting up a provider from nothing: the provider's registration numbers,
-- locations of every kind Hearth serves, renamed and closed (never deleted).
-- Only columns and tables are added; no existing row is rewritten.

ALTER TABLE providers ADD COLUMN cqc_provider_id TEXT NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN ods_code TEXT NOT NULL DEFAULT '';

-- locations.kind keeps its three broad kinds (care_home, domiciliary_branch,
-- inpatient_ward), which the technology register approves by. setting is
-- the finer kind the provider chose: care_home, nursing_home,
-- home_care_branch, supported_living or mental_health_ward. Rows made before
-- it existed have '' and read as their kind (see people.Location).
ALTER TABLE locations ADD COLUMN setting TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN cqc_location_id TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN closed_at TIMESTAMPTZ;

-- What happened to each location and who did it: opened, renamed (with the
-- name it had), closed. The audit log holds the same; this is for the
-- location's own page.
CREATE TABLE location_history (
    id          TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id),
    at          TIMESTAMPTZ NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('opened', 'renamed', 'closed')),
    old_name    TEXT NOT NULL DEFAULT '',
    new_name    TEXT NOT NULL DEFAULT '',
    by_id       TEXT NOT NULL DEFAULT '',
    by_name     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX location_history_location ON location_history (location_id, at);
