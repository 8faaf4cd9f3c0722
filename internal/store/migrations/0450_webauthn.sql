-- WebAuthn passkeys (issue 6 item 1): a second factor in place of the
-- authenticator code, for people who draw on care and their representatives.
-- The credential's public key and its signature counter are kept; the
-- library's record of it (flags, AAGUID, transports, attestation format)
-- is kept as JSON so that later checks (backup-eligibility) can run.
CREATE TABLE webauthn_credentials (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    credential_id TEXT NOT NULL UNIQUE,           -- base64url of the raw credential ID
    public_key    TEXT NOT NULL,                  -- base64url of the COSE public key
    sign_count    BIGINT NOT NULL DEFAULT 0,
    record        TEXT NOT NULL,                  -- the library record of the credential, JSON
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A challenge lives with the session that asked for it, for one ceremony,
-- until it is used once or expires; ending the session ends it.
CREATE TABLE webauthn_challenges (
    session_hash TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE,
    ceremony     TEXT NOT NULL CHECK (ceremony IN ('register', 'signin')),
    data         TEXT NOT NULL,                   -- the library SessionData, JSON
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_hash, ceremony)
);
