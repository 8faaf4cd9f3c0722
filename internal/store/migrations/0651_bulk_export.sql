-- Bulk Data exports ($export) by partner systems: the job a partner starts,
-- and the NDJSON files it produces, kept in the database (so any node can
-- serve them) until they expire.

CREATE TABLE bulk_exports (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners(id),
    level        TEXT NOT NULL CHECK (level IN ('system', 'patient')),
    types        TEXT NOT NULL,
    since        TIMESTAMPTZ,
    request_url  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('accepted', 'in-progress', 'completed', 'failed', 'cancelled', 'expired')),
    requested_at TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    people       INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX bulk_exports_status ON bulk_exports (status, requested_at);
CREATE INDEX bulk_exports_partner ON bulk_exports (partner_id, requested_at);

CREATE TABLE bulk_export_files (
    id            TEXT PRIMARY KEY,
    export_id     TEXT NOT NULL REFERENCES bulk_exports(id),
    resource_type TEXT NOT NULL,
    part          INTEGER NOT NULL,
    resources     INTEGER NOT NULL,
    body          TEXT NOT NULL,
    UNIQUE (export_id, resource_type, part)
);
