-- Consent, capacity, best interests and lawful representatives (issue 4).
-- Consents and assessments are never edited: a change is a new row, and a
-- withdrawal or an ending fills in when, by whom and how, once.

-- Lawful representatives and people who must be consulted (MCA 2005 s4(7)).
CREATE TABLE representatives (
    id                 TEXT PRIMARY KEY,
    person_id          TEXT NOT NULL REFERENCES people(id),
    name               TEXT NOT NULL,
    relationship       TEXT NOT NULL DEFAULT '',
    authority          TEXT NOT NULL,
    scope              TEXT NOT NULL DEFAULT '',
    contact            TEXT NOT NULL DEFAULT '',
    evidence_reference TEXT NOT NULL DEFAULT '',
    verified_by        TEXT NOT NULL DEFAULT '',
    verified_on        DATE,
    starts_on          DATE NOT NULL,
    ends_on            DATE,
    recorded_by        TEXT NOT NULL,
    recorded_by_name   TEXT NOT NULL,
    recorded_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX representatives_person ON representatives (person_id);

-- A representative who signs in to the portal as this account.
CREATE TABLE representative_accounts (
    representative_id TEXT PRIMARY KEY REFERENCES representatives(id),
    user_id           TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX representative_accounts_user ON representative_accounts (user_id);

CREATE TABLE consents (
    id                   TEXT PRIMARY KEY,
    person_id            TEXT NOT NULL REFERENCES people(id),
    purpose              TEXT NOT NULL,
    decision_key         TEXT NOT NULL,
    recipient            TEXT NOT NULL DEFAULT '',
    recipient_rep_id     TEXT REFERENCES representatives(id),
    technology_id        TEXT NOT NULL DEFAULT '',
    technology_name      TEXT NOT NULL DEFAULT '',
    channel              TEXT NOT NULL DEFAULT '',
    decision             TEXT NOT NULL CHECK (decision IN ('permit', 'deny')),
    scope                TEXT NOT NULL DEFAULT '',
    recipients           TEXT NOT NULL DEFAULT '',
    starts_at            TIMESTAMPTZ NOT NULL,
    ends_at              TIMESTAMPTZ,
    given_by             TEXT NOT NULL CHECK (given_by IN ('person', 'representative')),
    representative_id    TEXT REFERENCES representatives(id),
    info_given           TEXT NOT NULL,
    info_format          TEXT NOT NULL,
    info_format_detail   TEXT NOT NULL DEFAULT '',
    review_on            DATE,
    replaces             TEXT NOT NULL DEFAULT '',
    recorded_by          TEXT NOT NULL,
    recorded_by_name     TEXT NOT NULL,
    recorded_at          TIMESTAMPTZ NOT NULL,
    withdrawn_at         TIMESTAMPTZ,
    withdrawn_by         TEXT NOT NULL DEFAULT '',
    withdrawn_by_name    TEXT NOT NULL DEFAULT '',
    withdrawn_how        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_person ON consents (person_id, purpose, recorded_at);

-- MCA 2005 s2-3: the two-stage test, for one decision at one time.
CREATE TABLE capacity_assessments (
    id               TEXT PRIMARY KEY,
    person_id        TEXT NOT NULL REFERENCES people(id),
    decision_key     TEXT NOT NULL,
    decision         TEXT NOT NULL,
    assessed_at      TIMESTAMPTZ NOT NULL,
    assessor         TEXT NOT NULL,
    impairment       BOOLEAN NOT NULL,
    understand       BOOLEAN NOT NULL,
    retain           BOOLEAN NOT NULL,
    use_weigh        BOOLEAN NOT NULL,
    communicate      BOOLEAN NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('has-capacity', 'lacks-capacity')),
    evidence         TEXT NOT NULL,
    fluctuating      BOOLEAN NOT NULL DEFAULT FALSE,
    next_review_on   DATE,
    recorded_by      TEXT NOT NULL,
    recorded_by_name TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX capacity_person ON capacity_assessments (person_id, decision_key, assessed_at);

-- MCA 2005 s4: a decision made in the person's best interests.
CREATE TABLE best_interests (
    id                 TEXT PRIMARY KEY,
    person_id          TEXT NOT NULL REFERENCES people(id),
    decision_key       TEXT NOT NULL,
    decision           TEXT NOT NULL,
    technology_id      TEXT NOT NULL DEFAULT '',
    consulted          TEXT NOT NULL DEFAULT '',
    nobody_reason      TEXT NOT NULL DEFAULT '',
    wishes             TEXT NOT NULL,
    options            TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    reasons            TEXT NOT NULL,
    decision_maker     TEXT NOT NULL,
    decided_at         TIMESTAMPTZ NOT NULL,
    review_on          DATE,
    recorded_by        TEXT NOT NULL,
    recorded_by_name   TEXT NOT NULL,
    recorded_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX best_interests_person ON best_interests (person_id, decision_key, decided_at);

-- Lawful bases other than consent for data leaving the care team
-- (safeguarding, a court order, vital interests, a legal obligation).
CREATE TABLE lawful_bases (
    id               TEXT PRIMARY KEY,
    person_id        TEXT NOT NULL REFERENCES people(id),
    kind             TEXT NOT NULL CHECK (kind IN ('safeguarding', 'court-order', 'vital-interests', 'legal-obligation')),
    recipient        TEXT NOT NULL,
    reason           TEXT NOT NULL,
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ,
    recorded_by      TEXT NOT NULL,
    recorded_by_name TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX lawful_bases_person ON lawful_bases (person_id, recipient);
