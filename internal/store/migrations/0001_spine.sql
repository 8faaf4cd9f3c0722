-- The spine: the organisation, accounts, sessions, care teams, break-glass
-- grants and the tamper-evident audit log.

CREATE TABLE providers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE locations (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('care_home', 'domiciliary_branch', 'inpatient_ward')),
    created_at  TIMESTAMPTZ NOT NULL
);

-- People who draw on care. Identity only; the care record lives elsewhere.
CREATE TABLE people (
    id             TEXT PRIMARY KEY,
    location_id    TEXT NOT NULL REFERENCES locations(id),
    given_name     TEXT NOT NULL,
    family_name    TEXT NOT NULL,
    preferred_name TEXT NOT NULL DEFAULT '',
    date_of_birth  DATE NOT NULL,
    nhs_number     TEXT UNIQUE,
    address        TEXT NOT NULL DEFAULT '',
    postcode       TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE INDEX people_location ON people (location_id, family_name, given_name);

-- Accounts. Staff accounts carry a role; accounts for people and their
-- representatives (the portal) are kept apart by kind.
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('staff', 'person', 'representative', 'inspector')),
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    role             TEXT NOT NULL DEFAULT '',
    password_hash    TEXT NOT NULL,
    totp_secret      TEXT NOT NULL DEFAULT '',
    totp_enrolled_at TIMESTAMPTZ,
    totp_last_step   BIGINT NOT NULL DEFAULT 0,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    disabled_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Server-side sessions. Only a hash of the cookie value is stored, so a copy
-- of the database does not hand out live sessions.
CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    stage          TEXT NOT NULL CHECK (stage IN ('mfa', 'enrol', 'full')),
    csrf_token     TEXT NOT NULL,
    pending_secret TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    client_addr    TEXT NOT NULL DEFAULT '',
    user_agent     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Location-level roles: a registered manager or information governance lead
-- for a location holds a relationship with everyone there.
CREATE TABLE staff_locations (
    user_id     TEXT NOT NULL REFERENCES users(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    PRIMARY KEY (user_id, location_id)
);

-- Care teams: which staff member supports which person, from when to when.
CREATE TABLE care_team (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX care_team_user ON care_team (user_id, person_id);
CREATE INDEX care_team_person ON care_team (person_id);

-- Break-glass: emergency access without a relationship, for a bounded time,
-- waiting on the information governance lead's review.
CREATE TABLE break_glass (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    person_id   TEXT NOT NULL REFERENCES people(id),
    reason      TEXT NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    reviewed_by TEXT,
    reviewed_at TIMESTAMPTZ,
    review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX break_glass_user_person ON break_glass (user_id, person_id, expires_at);
CREATE INDEX break_glass_unreviewed ON break_glass (reviewed_at, starts_at);

-- The audit log. Rows are only ever inserted. Each carries a MAC under the
-- server's audit key, and is later sealed into an RFC 6962 Merkle tree
-- (audit_leaves, audit_hashes) with Ed25519-signed checkpoints.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL DEFAULT '',
    actor_role    TEXT NOT NULL DEFAULT '',
    actor_kind    TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL DEFAULT '',
    resource_id   TEXT NOT NULL DEFAULT '',
    person_id     TEXT NOT NULL DEFAULT '',
    purpose       TEXT NOT NULL DEFAULT '',
    decision      TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    reason_text   TEXT NOT NULL DEFAULT '',
    basis_id      TEXT NOT NULL DEFAULT '',
    break_glass   BOOLEAN NOT NULL DEFAULT FALSE,
    special_basis BOOLEAN NOT NULL DEFAULT FALSE,
    outcome       TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    client_addr   TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    mac           TEXT NOT NULL
);
CREATE INDEX audit_events_person ON audit_events (person_id, at);
CREATE INDEX audit_events_request ON audit_events (request_id);

-- Events appended but not yet sealed into the tree.
CREATE TABLE audit_pending (
    event_id TEXT PRIMARY KEY REFERENCES audit_events(id)
);

-- Leaf n of the tree is the event with this id.
CREATE TABLE audit_leaves (
    leaf_index BIGINT PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE REFERENCES audit_events(id)
);

-- The tree's stored hashes, indexed as golang.org/x/mod/sumdb/tlog does.
CREATE TABLE audit_hashes (
    idx  BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);

-- Signed tree heads.
CREATE TABLE audit_checkpoints (
    tree_size  BIGINT PRIMARY KEY,
    root_hash  TEXT NOT NULL,
    signed     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
