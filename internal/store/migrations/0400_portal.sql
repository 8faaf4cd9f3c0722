-- The portal for people who draw on care and their representatives (issue 6).

-- A person's own portal account: which person this account is.
CREATE TABLE person_accounts (
    user_id    TEXT PRIMARY KEY REFERENCES users(id),
    person_id  TEXT NOT NULL REFERENCES people(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX person_accounts_person ON person_accounts (person_id);

-- An invitation to the portal. Only a hash of the one-time code is kept, so a
-- copy of the database does not hand out accounts.
CREATE TABLE portal_invitations (
    id                TEXT PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    kind              TEXT NOT NULL CHECK (kind IN ('person', 'representative')),
    representative_id TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL,
    code_hash         TEXT NOT NULL UNIQUE,
    created_by        TEXT NOT NULL,
    created_by_name   TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    used_at           TIMESTAMPTZ,
    user_id           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX portal_invitations_person ON portal_invitations (person_id, created_at);

-- How an account likes pages shown: large print, easy read.
CREATE TABLE portal_preferences (
    user_id     TEXT PRIMARY KEY REFERENCES users(id),
    large_print BOOLEAN NOT NULL DEFAULT FALSE,
    easy_read   BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- A request to correct an entry. The entry itself is never changed here:
-- the outcome is recorded beside the request, and a correction made by staff
-- is a new entry in the record that owns it.
CREATE TABLE correction_requests (
    id                TEXT PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    resource_type     TEXT NOT NULL DEFAULT '',
    resource_id       TEXT NOT NULL DEFAULT '',
    entry             TEXT NOT NULL DEFAULT '',
    request           TEXT NOT NULL,
    requested_by      TEXT NOT NULL,
    requested_by_name TEXT NOT NULL,
    requested_at      TIMESTAMPTZ NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'corrected', 'not-changed')),
    outcome           TEXT NOT NULL DEFAULT '',
    decided_by        TEXT NOT NULL DEFAULT '',
    decided_by_name   TEXT NOT NULL DEFAULT '',
    decided_at        TIMESTAMPTZ
);
CREATE INDEX correction_requests_status ON correction_requests (status, requested_at);
CREATE INDEX correction_requests_person ON correction_requests (person_id, requested_at);

-- Secure messages between a person (or their representatives) and the care
-- team. Staff write as the service: shown_as is what the person sees; the
-- staff member is kept in sender_id and sender_name, and in the audit log.
CREATE TABLE portal_messages (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    sender_kind TEXT NOT NULL CHECK (sender_kind IN ('person', 'representative', 'service')),
    sender_id   TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    shown_as    TEXT NOT NULL,
    body        TEXT NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_messages_person ON portal_messages (person_id, sent_at);

-- Notices waiting to go out on a channel the person consented to. The body
-- is a fixed sentence with no personal details.
CREATE TABLE notification_outbox (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id),
    channel    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ
);
CREATE INDEX notification_outbox_pending ON notification_outbox (sent_at, created_at);

-- Entries not shown to the person or their representatives, with why, and
-- the information governance lead's review.
CREATE TABLE withheld_items (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id),
    resource_type   TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('third-party', 'serious-harm')),
    reason          TEXT NOT NULL,
    withheld_by     TEXT NOT NULL,
    withheld_by_name TEXT NOT NULL,
    withheld_at     TIMESTAMPTZ NOT NULL,
    review_outcome  TEXT NOT NULL DEFAULT '' CHECK (review_outcome IN ('', 'upheld', 'lifted')),
    review_note     TEXT NOT NULL DEFAULT '',
    reviewed_by     TEXT NOT NULL DEFAULT '',
    reviewed_by_name TEXT NOT NULL DEFAULT '',
    reviewed_at     TIMESTAMPTZ
);
CREATE INDEX withheld_items_person ON withheld_items (person_id, resource_type, resource_id);
CREATE INDEX withheld_items_review ON withheld_items (reviewed_at, withheld_at);

-- Concerns a person or representative raises from the portal, until they
-- can be handed to the technology package's concerns.
CREATE TABLE portal_concerns (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id),
    about          TEXT NOT NULL DEFAULT '',
    concern        TEXT NOT NULL,
    raised_by      TEXT NOT NULL,
    raised_by_name TEXT NOT NULL,
    raised_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_concerns_person ON portal_concerns (person_id, raised_at);
