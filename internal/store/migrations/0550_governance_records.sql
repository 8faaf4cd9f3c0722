-- Governance records (issue 14 items 6-8): incidents and personal data
-- breaches, retention and disposal of people's records, and the policies
-- register. Only new tables and one new column: nothing existing is
-- rewritten.

-- An incident: what happened, to whom, how bad, what was done at once. A
-- personal data breach (kind 'data-breach') also carries the 72-hour
-- reporting clock to the ICO, which runs from when the provider became
-- aware (aware_at), the risk assessment, and the decision whether to tell
-- the people affected, with the words of their letter.
CREATE TABLE incidents (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    severity         TEXT NOT NULL,
    summary          TEXT NOT NULL,
    what_happened    TEXT NOT NULL,
    immediate_action TEXT NOT NULL,
    occurred_at      TIMESTAMPTZ NOT NULL,
    aware_at         TIMESTAMPTZ NOT NULL,
    -- Why no one is named, when no one is (a breach must name the people
    -- affected or say why it cannot).
    no_people_reason TEXT NOT NULL DEFAULT '',
    risk             TEXT NOT NULL DEFAULT '',   -- breach: unlikely, risk, high
    risk_notes       TEXT NOT NULL DEFAULT '',
    ico_reported_at  TIMESTAMPTZ,
    ico_reference    TEXT NOT NULL DEFAULT '',
    not_reported_why TEXT NOT NULL DEFAULT '',
    tell_people      TEXT NOT NULL DEFAULT '',   -- '', yes, no
    tell_reason      TEXT NOT NULL DEFAULT '',
    letter_meaning   TEXT NOT NULL DEFAULT '',   -- what it means for them
    letter_next      TEXT NOT NULL DEFAULT '',   -- what will happen next
    letter_contact   TEXT NOT NULL DEFAULT '',   -- who to contact
    closed_at        TIMESTAMPTZ,
    closed_by        TEXT REFERENCES users(id),
    closure_notes    TEXT NOT NULL DEFAULT '',
    recorded_by      TEXT NOT NULL REFERENCES users(id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX incidents_open ON incidents (closed_at, created_at);

-- The people an incident affected. The door decides each one when they
-- are named, and again whenever their incident is read.
CREATE TABLE incident_people (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    person_id   TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (incident_id, person_id)
);
CREATE INDEX incident_people_person ON incident_people (person_id);

-- Retention periods the provider has set for a record type, replacing the
-- default from the Records Management Code of Practice (internal/governance,
-- retention.go). Changes are audited.
CREATE TABLE retention_rules (
    record_type TEXT PRIMARY KEY,
    years       INTEGER NOT NULL CHECK (years > 0),
    note        TEXT NOT NULL DEFAULT '',
    updated_by  TEXT NOT NULL REFERENCES users(id),
    updated_at  TIMESTAMPTZ NOT NULL
);

-- A legal hold keeps a person's record from disposal (litigation, an
-- inquiry, a safeguarding review) until it is lifted, with reasons.
CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL REFERENCES users(id),
    placed_at   TIMESTAMPTZ NOT NULL,
    lifted_at   TIMESTAMPTZ,
    lifted_by   TEXT REFERENCES users(id),
    lift_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX legal_holds_person ON legal_holds (person_id);

-- A disposal of one person's record, in steps: asked for by one senior
-- account, approved by a different one (the record is then hidden, and can
-- be restored by an approver until restore_until), then purged. The
-- certificate's hash commits to what was disposed without keeping it. No
-- foreign key on person_id: the row outlives the purge.
CREATE TABLE disposals (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL,
    person_label  TEXT NOT NULL,  -- for the certificate: a reference, not the name
    record_type   TEXT NOT NULL,
    rule          TEXT NOT NULL,  -- the rule in words, as applied
    care_ended_on DATE,
    reason        TEXT NOT NULL,
    requested_by  TEXT NOT NULL REFERENCES users(id),
    requested_at  TIMESTAMPTZ NOT NULL,
    approved_by   TEXT REFERENCES users(id),
    approved_at   TIMESTAMPTZ,
    restore_until TIMESTAMPTZ,
    content_hash  TEXT NOT NULL DEFAULT '',
    row_count     INTEGER NOT NULL DEFAULT 0,
    restored_at   TIMESTAMPTZ,
    restored_by   TEXT REFERENCES users(id),
    restore_reason TEXT NOT NULL DEFAULT '',
    purged_at     TIMESTAMPTZ,
    purged_by     TEXT REFERENCES users(id),
    cancelled_at  TIMESTAMPTZ,
    cancelled_by  TEXT REFERENCES users(id)
);
CREATE INDEX disposals_person ON disposals (person_id);

-- A disposed record is hidden: the door treats the person as not there.
ALTER TABLE people ADD COLUMN disposed_at TIMESTAMPTZ;
-- Every list leaves disposed records out (door.Scope.Reach): few rows have
-- a value, so the index stays small.
CREATE INDEX people_disposed ON people (disposed_at);

-- The policies register.
CREATE TABLE policies (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    version       TEXT NOT NULL,
    owner         TEXT NOT NULL,
    review_months INTEGER NOT NULL CHECK (review_months > 0),
    next_review   DATE NOT NULL,
    retired_at    TIMESTAMPTZ,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL REFERENCES users(id),
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE policy_technologies (
    policy_id     TEXT NOT NULL REFERENCES policies(id),
    technology_id TEXT NOT NULL REFERENCES tech_technologies(id),
    PRIMARY KEY (policy_id, technology_id)
);
