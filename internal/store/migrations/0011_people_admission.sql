-- Admitting a person, moving them and ending their care. Columns are only
-- added: existing people keep every field they had, and the new ones are
-- empty until someone records them.

ALTER TABLE people ADD COLUMN sex TEXT NOT NULL DEFAULT '';
-- Gender as the person describes it, in their words.
ALTER TABLE people ADD COLUMN gender TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN gp_practice TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN care_starts_on DATE;

-- End of care. ended_at is when it was recorded (the record is read-only
-- from then on, except for corrections); care_ended_on is the day care
-- ended, kept for the retention schedule.
ALTER TABLE people ADD COLUMN care_ended_on DATE;
ALTER TABLE people ADD COLUMN end_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN end_note TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN ended_at TIMESTAMPTZ;
ALTER TABLE people ADD COLUMN ended_by TEXT NOT NULL DEFAULT '';

-- A derived index for finding people by name: given, family and preferred
-- names lower-cased with accents folded ("sian" finds Siân). Kept on every
-- write and filled in for older rows at start-up; never shown.
ALTER TABLE people ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX people_search ON people (search_key);
CREATE INDEX people_dob ON people (date_of_birth);

-- Where a person has lived or been supported, from when to when: one row
-- per placement, the current one open-ended. A transfer ends one and
-- starts the next; nothing is overwritten.
CREATE TABLE person_placements (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ,
    reason      TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL
);
CREATE INDEX person_placements_person ON person_placements (person_id, starts_at);
