-- Sign-in that strangers cannot block (issue 12 item 7): leaky buckets of
-- failed attempts, shared by every node on one database. The key names the
-- bucket (pair of username and address, account, address, or a 16-bit
-- prefix of a hash of a typed password) by hashes, never the username or
-- address themselves. failures is the count at `at`; it halves every
-- half-life (internal/accounts/throttle.go). users.failed_attempts and
-- users.locked_until are no longer read.
CREATE TABLE signin_throttle (
    key      TEXT PRIMARY KEY,
    failures DOUBLE PRECISION NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX signin_throttle_at ON signin_throttle (at);

-- A passkey used alone, from the sign-in page (no password, user
-- verification required): its challenge is kept with the browser's
-- pre-session cookie (by its hash) until answered once or expired.
CREATE TABLE webauthn_signin_challenges (
    holder_hash TEXT PRIMARY KEY,
    data        TEXT NOT NULL,                   -- the library SessionData, JSON
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX webauthn_signin_challenges_expiry ON webauthn_signin_challenges (expires_at);
