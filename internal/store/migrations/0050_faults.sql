-- Kind failures (issue 12 item 5).
--
-- heartbeat: /readyz writes here, in its own transaction, to prove the
-- database accepts writes (a full disk, a read-only file or a standby that
-- has not been promoted all refuse it). One row; its time says when a node
-- last checked.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TIMESTAMPTZ NOT NULL
);
INSERT INTO heartbeat (id, at) VALUES (1, CURRENT_TIMESTAMP);

-- idempotency_keys: every form that writes carries a key; the first door
-- scope of the request that writes claims (account, key) in its own
-- transaction, so the key is durable exactly when the write is. A retry
-- with the same key finds it and is answered as the first was (the answer
-- is recorded after the handler ends), never written again; the same key
-- with a different form is refused. Keys are forgotten after a day.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    body_hash  TEXT NOT NULL,                 -- SHA-256 of the method, path and form, hex
    status     INTEGER,                       -- the first answer's HTTP status, once known
    location   TEXT NOT NULL DEFAULT '',      -- and where it redirected
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
