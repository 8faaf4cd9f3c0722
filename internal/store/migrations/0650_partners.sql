-- Partner systems (SMART Backend Services clients) and the data-sharing
-- agreements under which they may receive a person's information.

-- A partner system: its client ID is the row's ID. name is how consents and
-- other lawful bases name it as the recipient, so it is unique whatever the
-- case. jwks holds public keys only (validated before it is stored); scopes
-- are the SMART v2 system scopes it may be granted, space-separated.
CREATE TABLE partners (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    contact          TEXT NOT NULL DEFAULT '',
    jwks             TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_by_name  TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    disabled_at      TIMESTAMPTZ,
    disabled_by_name TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX partners_name ON partners (LOWER(name));

-- Assertion IDs (jti) already used, kept until the assertion would have
-- expired anyway, so a captured assertion cannot be replayed.
CREATE TABLE partner_assertions (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner_id, jti)
);
CREATE INDEX partner_assertions_expiry ON partner_assertions (expires_at);

-- Access tokens, by the SHA-256 of the token: a copy of the database hands
-- out no access.
CREATE TABLE partner_tokens (
    token_hash TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    scopes     TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX partner_tokens_expiry ON partner_tokens (expires_at);
CREATE INDEX partner_tokens_partner ON partner_tokens (partner_id);

-- A data-sharing agreement with a partner: why (purpose), under which UK
-- GDPR article 6 and article 9 conditions, which categories of information,
-- and when. starts_at is the first moment it applies (midnight in London on
-- its first day) and ends_at the first moment it no longer does (midnight
-- after its last day); ended_at is set when it is ended early.
CREATE TABLE data_sharing_agreements (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL REFERENCES partners(id),
    purpose          TEXT NOT NULL,
    article6         TEXT NOT NULL,
    article9         TEXT NOT NULL,
    categories       TEXT NOT NULL,
    reference        TEXT NOT NULL DEFAULT '',
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ,
    review_on        DATE NOT NULL,
    recorded_by      TEXT NOT NULL,
    recorded_by_name TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL,
    reviewed_at      TIMESTAMPTZ,
    reviewed_by_name TEXT NOT NULL DEFAULT '',
    review_note      TEXT NOT NULL DEFAULT '',
    ended_at         TIMESTAMPTZ,
    ended_by_name    TEXT NOT NULL DEFAULT '',
    end_reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX data_sharing_agreements_partner ON data_sharing_agreements (partner_id, starts_at);
CREATE INDEX data_sharing_agreements_review ON data_sharing_agreements (review_on);
