-- Location at a home-care visit check-in (issue 3 item 6). Recorded only
-- when the person has a live use of a technology on the register as
-- recording location at visits, with a lawful basis; the row keeps which
-- use, at which version, and which basis allowed it, so the person and
-- staff can see on what authority it was taken. Never changed: one row per
-- check-in, written in the same transaction.
CREATE TABLE visit_locations (
    visit_id        TEXT PRIMARY KEY REFERENCES visits(id),
    person_id       TEXT NOT NULL REFERENCES people(id),
    latitude        DOUBLE PRECISION NOT NULL,
    longitude       DOUBLE PRECISION NOT NULL,
    accuracy_m      DOUBLE PRECISION,
    use_id          TEXT NOT NULL, -- tech_uses(id): no foreign key, as technology governance's tables come later (0300); the service reads the use in the same transaction
    use_version     INTEGER NOT NULL,
    technology_name TEXT NOT NULL,
    basis_kind      TEXT NOT NULL,
    basis_id        TEXT NOT NULL,
    basis_text      TEXT NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX visit_locations_person ON visit_locations (person_id, recorded_at);
