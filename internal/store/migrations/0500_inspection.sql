-- Inspection grants (issue 10 item 3): the information governance lead gives
-- a named inspector read-only access to one or more locations for a bounded
-- period. The door loads a live grant as the inspector's relationship with
-- everyone at those locations (internal/door/facts.go) and limits their
-- lists to them (Reach). A grant is never deleted or shortened in place: an
-- early end is recorded beside it, with who ended it and why, so that every
-- grant stays reviewable.
CREATE TABLE inspection_grants (
    id           TEXT PRIMARY KEY,
    inspector_id TEXT NOT NULL REFERENCES users(id),
    purpose      TEXT NOT NULL,                   -- such as 'CQC inspection of Rowan House'
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,                     -- ended early, at once
    ended_by     TEXT REFERENCES users(id),
    end_reason   TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at)
);
-- The door's lookup: an inspector's grants, by when they start.
CREATE INDEX inspection_grants_inspector ON inspection_grants (inspector_id, starts_at);

-- The locations a grant covers. The primary key serves the door's join from
-- a grant to its locations.
CREATE TABLE inspection_grant_locations (
    grant_id    TEXT NOT NULL REFERENCES inspection_grants(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    PRIMARY KEY (grant_id, location_id)
);
