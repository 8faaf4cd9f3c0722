-- Staff join through an invitation: a one-time link, of which only a
-- SHA-256 hash is stored, that expires. The account is made when the
-- invitation is accepted (a password set, then an authenticator enrolled).
CREATE TABLE staff_invitations (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    invited_by    TEXT NOT NULL DEFAULT '',
    invited_by_name TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    user_id       TEXT REFERENCES users(id)
);
CREATE INDEX staff_invitations_username ON staff_invitations (username);

CREATE TABLE staff_invitation_locations (
    invitation_id TEXT NOT NULL REFERENCES staff_invitations(id),
    location_id   TEXT NOT NULL REFERENCES locations(id),
    PRIMARY KEY (invitation_id, location_id)
);

-- A contact address for staff (optional): invitations name it.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- Resetting someone's second factor takes two senior accounts: one asks,
-- another approves (and the reset happens then). Both are audited.
CREATE TABLE mfa_resets (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    reason        TEXT NOT NULL,
    requested_by  TEXT NOT NULL REFERENCES users(id),
    requested_at  TIMESTAMPTZ NOT NULL,
    approved_by   TEXT REFERENCES users(id),
    approved_at   TIMESTAMPTZ
);
CREATE INDEX mfa_resets_open ON mfa_resets (approved_at, requested_at);
