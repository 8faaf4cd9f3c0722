-- Technology governance (issue 5): the provider's technology register, each
-- person's technology use records, reviews, outcomes, copies given, concerns,
-- anonymous staff feedback, minimal training records, and the optional
-- person-scoped data the outcome reports need (protected characteristics,
-- attention flags, digital inclusion).
--
-- Register entries and use records are versioned: the current row holds the
-- latest version as JSON (data) beside the columns queries need; every
-- version, including the first, is kept in a *_versions table and never
-- changed.

CREATE TABLE tech_technologies (
    id         TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('proposed', 'trial', 'approved', 'withdrawn')),
    data       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX tech_technologies_name ON tech_technologies (name);

CREATE TABLE tech_technology_versions (
    technology_id TEXT NOT NULL REFERENCES tech_technologies(id),
    version       INTEGER NOT NULL,
    data          TEXT NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_name  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (technology_id, version)
);

-- One row per person per use: a use is never made for several people.
CREATE TABLE tech_uses (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES people(id),
    technology_id TEXT NOT NULL REFERENCES tech_technologies(id),
    location_id   TEXT NOT NULL REFERENCES locations(id),
    version       INTEGER NOT NULL,
    basis_kind    TEXT NOT NULL,
    basis_id      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    next_review   DATE NOT NULL,
    ended_at      TIMESTAMPTZ,
    data          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX tech_uses_person ON tech_uses (person_id, created_at);
CREATE INDEX tech_uses_technology ON tech_uses (technology_id, location_id);

CREATE TABLE tech_use_versions (
    use_id       TEXT NOT NULL REFERENCES tech_uses(id),
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_name TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (use_id, version)
);

-- The first time Hearth sees that a use's lawful basis no longer counts, it
-- records when, and why, once.
CREATE TABLE tech_use_stops (
    use_id     TEXT PRIMARY KEY REFERENCES tech_uses(id),
    basis_id   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    seen_by    TEXT NOT NULL
);

CREATE TABLE tech_reviews (
    id           TEXT PRIMARY KEY,
    use_id       TEXT NOT NULL REFERENCES tech_uses(id),
    person_id    TEXT NOT NULL REFERENCES people(id),
    outcome      TEXT NOT NULL CHECK (outcome IN ('continue', 'change', 'stop')),
    person_views TEXT NOT NULL,
    notes        TEXT NOT NULL,
    next_review  DATE,
    reviewed_at  TIMESTAMPTZ NOT NULL,
    reviewed_by  TEXT NOT NULL,
    reviewer     TEXT NOT NULL
);
CREATE INDEX tech_reviews_use ON tech_reviews (use_id, reviewed_at);

-- Outcome measures, recorded over time per person (NHS principle 8).
CREATE TABLE tech_outcomes (
    id            TEXT PRIMARY KEY,
    use_id        TEXT NOT NULL REFERENCES tech_uses(id),
    person_id     TEXT NOT NULL REFERENCES people(id),
    technology_id TEXT NOT NULL REFERENCES tech_technologies(id),
    review_id     TEXT,
    measure       TEXT NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    observed_on   DATE NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX tech_outcomes_technology ON tech_outcomes (technology_id, measure);
CREATE INDEX tech_outcomes_use ON tech_outcomes (use_id, observed_on);

-- Copies of the use record given to the person or those acting for them.
CREATE TABLE tech_copies (
    id          TEXT PRIMARY KEY,
    use_id      TEXT NOT NULL REFERENCES tech_uses(id),
    person_id   TEXT NOT NULL REFERENCES people(id),
    use_version INTEGER NOT NULL,
    given_to    TEXT NOT NULL,
    format      TEXT NOT NULL,
    given_on    DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX tech_copies_use ON tech_copies (use_id);

-- Concerns that a technology harms someone or restricts their rights. Each
-- goes to the registered manager of the person's location.
CREATE TABLE tech_concerns (
    id             TEXT PRIMARY KEY,
    technology_id  TEXT NOT NULL REFERENCES tech_technologies(id),
    person_id      TEXT NOT NULL REFERENCES people(id),
    location_id    TEXT NOT NULL REFERENCES locations(id),
    concern        TEXT NOT NULL,
    raised_by      TEXT NOT NULL,
    raised_name    TEXT NOT NULL,
    raised_kind    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'resolved')),
    outcome        TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL,
    raised_at      TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL
);
CREATE INDEX tech_concerns_location ON tech_concerns (location_id, status);

-- Staff feedback about a technology, not about a person. It may be
-- anonymous: then no author is stored, the ID is random (not time-ordered)
-- and only the day is kept, so it cannot be matched to an audit event.
CREATE TABLE tech_feedback (
    id            TEXT PRIMARY KEY,
    technology_id TEXT NOT NULL REFERENCES tech_technologies(id),
    feedback      TEXT NOT NULL,
    author_id     TEXT,
    author_name   TEXT NOT NULL DEFAULT '',
    received_on   DATE NOT NULL
);
CREATE INDEX tech_feedback_technology ON tech_feedback (technology_id, received_on);

-- Minimal training records; the governance issue builds the full register.
CREATE TABLE tech_training (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    module       TEXT NOT NULL,
    completed_on DATE NOT NULL,
    expires_on   DATE NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    recorded_by  TEXT NOT NULL
);
CREATE INDEX tech_training_user ON tech_training (user_id, module, expires_on);

-- Optional, person-scoped: protected characteristics and attention flags
-- for the outcome reports. Each may be 'prefer-not-to-say' or empty.
CREATE TABLE tech_characteristics (
    person_id           TEXT PRIMARY KEY REFERENCES people(id),
    age_band            TEXT NOT NULL DEFAULT '',
    sex                 TEXT NOT NULL DEFAULT '',
    ethnicity           TEXT NOT NULL DEFAULT '',
    disability          TEXT NOT NULL DEFAULT '',
    religion            TEXT NOT NULL DEFAULT '',
    sexual_orientation  TEXT NOT NULL DEFAULT '',
    gender_reassignment TEXT NOT NULL DEFAULT '',
    trauma_history      TEXT NOT NULL DEFAULT '',
    paranoia            TEXT NOT NULL DEFAULT '',
    updated_at          TIMESTAMPTZ NOT NULL,
    updated_by          TEXT NOT NULL
);

-- Digital inclusion, read before a rollout.
CREATE TABLE tech_inclusion (
    person_id     TEXT PRIMARY KEY REFERENCES people(id),
    devices       TEXT NOT NULL DEFAULT '',
    confidence    TEXT NOT NULL DEFAULT '',
    channels      TEXT NOT NULL DEFAULT '',
    support       TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL
);
