-- The care record (first half): About Me, care plans, daily notes, risk
-- assessments and safety plans. Every table here is append-only: a change is
-- a new row (a new version, or a correction pointing at what it corrects),
-- never an UPDATE or DELETE (DESIGN.md invariant 3). Authors are copied onto
-- each row so the record reads the same after an account is renamed.

-- About Me (PRSB About Me v2.0): entries per section, in the person's words.
-- formats and support hold Accessible Information Standard needs for the
-- communication section (formats: a comma-separated list of codes).
CREATE TABLE about_me_entries (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    section     TEXT NOT NULL,
    body        TEXT NOT NULL,
    formats     TEXT NOT NULL DEFAULT '',
    support     TEXT NOT NULL DEFAULT '',
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_role TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    written_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX about_me_person ON about_me_entries (person_id, section, written_at);

-- A care plan's identity: one per need area per person (area_key is the area,
-- or 'custom:' and the plan's id for a custom plan, so customs may repeat).
CREATE TABLE care_plans (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    area       TEXT NOT NULL,
    area_key   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX care_plans_area ON care_plans (person_id, area_key);

-- Every version of a care plan. (plan_id, version) is unique, so two people
-- saving over the same version cannot both win: the second gets a conflict.
CREATE TABLE care_plan_versions (
    id              TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES care_plans(id),
    person_id       TEXT NOT NULL REFERENCES people(id),
    version         INTEGER NOT NULL,
    title           TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    how_met         TEXT NOT NULL,
    preferences     TEXT NOT NULL DEFAULT '',
    involved        TEXT NOT NULL DEFAULT '',
    involved_names  TEXT NOT NULL DEFAULT '',
    agreement       TEXT NOT NULL,
    agreement_words TEXT NOT NULL DEFAULT '',
    review_on       DATE NOT NULL,
    reason          TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    author_role     TEXT NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (plan_id, version)
);
CREATE INDEX care_plan_versions_person ON care_plan_versions (person_id, plan_id, version);

-- Daily notes. care_at is when the care happened, recorded_at when it was
-- written (the clock); late is fixed at recording time against the
-- threshold then in force. A correction is a new note with corrects_id and a
-- reason; a note can be corrected once (correct the newest version).
CREATE TABLE daily_notes (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    category    TEXT NOT NULL,
    body        TEXT NOT NULL,
    care_at     TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    late        BOOLEAN NOT NULL,
    imported    BOOLEAN NOT NULL DEFAULT FALSE,
    corrects_id TEXT REFERENCES daily_notes(id),
    reason      TEXT NOT NULL DEFAULT '',
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_role TEXT NOT NULL
);
CREATE INDEX daily_notes_person ON daily_notes (person_id, care_at);
CREATE UNIQUE INDEX daily_notes_corrects ON daily_notes (corrects_id);

-- Risk assessments: identity, then versions as for care plans.
CREATE TABLE risk_assessments (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX risk_assessments_person ON risk_assessments (person_id);

CREATE TABLE risk_versions (
    id             TEXT PRIMARY KEY,
    risk_id        TEXT NOT NULL REFERENCES risk_assessments(id),
    person_id      TEXT NOT NULL REFERENCES people(id),
    version        INTEGER NOT NULL,
    title          TEXT NOT NULL,
    could_happen   TEXT NOT NULL,
    likelihood     TEXT NOT NULL,
    impact         TEXT NOT NULL,
    reduces        TEXT NOT NULL,
    persons_words  TEXT NOT NULL DEFAULT '',
    involved       TEXT NOT NULL DEFAULT '',
    involved_names TEXT NOT NULL DEFAULT '',
    review_on      DATE NOT NULL,
    reason         TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    author_name    TEXT NOT NULL,
    author_role    TEXT NOT NULL,
    written_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (risk_id, version)
);
CREATE INDEX risk_versions_person ON risk_versions (person_id, risk_id, version);

-- A person's safety plan: one per person, every change a new version.
CREATE TABLE safety_plan_versions (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id),
    version        INTEGER NOT NULL,
    triggers       TEXT NOT NULL,
    warning_signs  TEXT NOT NULL,
    what_helps     TEXT NOT NULL,
    contacts       TEXT NOT NULL,
    persons_words  TEXT NOT NULL DEFAULT '',
    involved       TEXT NOT NULL DEFAULT '',
    involved_names TEXT NOT NULL DEFAULT '',
    review_on      DATE NOT NULL,
    reason         TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    author_name    TEXT NOT NULL,
    author_role    TEXT NOT NULL,
    written_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (person_id, version)
);
