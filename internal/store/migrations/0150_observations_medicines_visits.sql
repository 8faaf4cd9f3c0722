-- The care record at the point of care, part two: observations (fluids,
-- food, weight and height, vital signs with NEWS2, falls), medicines (eMAR)
-- and home-care visits. Care entries are append-only: a correction is a new
-- row pointing at the one it corrects, with a reason.

-- One row per observation. Which columns hold values depends on kind.
-- Weights are in grams and temperatures in tenths of a degree so both
-- engines store exact integers.
CREATE TABLE observations (
    id                TEXT PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    kind              TEXT NOT NULL CHECK (kind IN ('fluid_in', 'fluid_out', 'food', 'weight', 'height', 'vitals', 'fall')),
    taken_at          TIMESTAMPTZ NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    recorded_by       TEXT NOT NULL REFERENCES users(id),
    amount_ml         INTEGER,
    what              TEXT NOT NULL DEFAULT '',
    meal              TEXT NOT NULL DEFAULT '',
    portion           TEXT NOT NULL DEFAULT '',
    weight_g          INTEGER,
    height_mm         INTEGER,
    resp_rate         INTEGER,
    spo2              INTEGER,
    spo2_scale        INTEGER,
    on_oxygen         BOOLEAN,
    systolic          INTEGER,
    pulse             INTEGER,
    consciousness     TEXT NOT NULL DEFAULT '',
    temperature_dc    INTEGER,
    news2             INTEGER,
    place             TEXT NOT NULL DEFAULT '',
    injury            TEXT NOT NULL DEFAULT '',
    actions           TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    corrects_id       TEXT REFERENCES observations(id),
    correction_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX observations_person ON observations (person_id, kind, taken_at);
-- One correction per entry: a second is a conflict, corrected in turn.
CREATE UNIQUE INDEX observations_corrects ON observations (corrects_id);

-- A person's daily fluid target. The newest row is the target in force.
CREATE TABLE fluid_targets (
    id        TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    target_ml INTEGER NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    set_at    TIMESTAMPTZ NOT NULL,
    set_by    TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX fluid_targets_person ON fluid_targets (person_id, set_at);

-- The medicines list. A medicine is stopped (once, with who, when, why),
-- never edited; a changed dose is a new medicine and the old one stopped.
CREATE TABLE medicines (
    id               TEXT PRIMARY KEY,
    person_id        TEXT NOT NULL REFERENCES people(id),
    name             TEXT NOT NULL,
    strength         TEXT NOT NULL DEFAULT '',
    dose             TEXT NOT NULL,
    route            TEXT NOT NULL,
    times            TEXT NOT NULL DEFAULT '',
    prn              BOOLEAN NOT NULL DEFAULT FALSE,
    prn_min_minutes  INTEGER NOT NULL DEFAULT 0,
    prn_max_24h      INTEGER NOT NULL DEFAULT 0,
    start_date       DATE NOT NULL,
    end_date         DATE,
    prescriber       TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,
    controlled       BOOLEAN NOT NULL DEFAULT FALSE,
    instructions     TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT NOT NULL REFERENCES users(id),
    stopped_at       TIMESTAMPTZ,
    stopped_by       TEXT REFERENCES users(id),
    stop_reason      TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX medicines_person ON medicines (person_id, created_at);

-- Administration records. A scheduled dose names its slot, and a slot is
-- recorded once (two carers at one dose: the second gets a conflict).
CREATE TABLE medicine_doses (
    id                TEXT PRIMARY KEY,
    medicine_id       TEXT NOT NULL REFERENCES medicines(id),
    person_id         TEXT NOT NULL REFERENCES people(id),
    scheduled_for     TIMESTAMPTZ,
    at                TIMESTAMPTZ NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('given', 'refused', 'omitted', 'not_available', 'self_administered')),
    reason_code       TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    witness_id        TEXT REFERENCES users(id),
    recorded_at       TIMESTAMPTZ NOT NULL,
    recorded_by       TEXT NOT NULL REFERENCES users(id),
    corrects_id       TEXT REFERENCES medicine_doses(id),
    correction_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX medicine_doses_person ON medicine_doses (person_id, at);
CREATE INDEX medicine_doses_medicine ON medicine_doses (medicine_id, at);
CREATE UNIQUE INDEX medicine_doses_slot ON medicine_doses (medicine_id, scheduled_for) WHERE corrects_id IS NULL AND scheduled_for IS NOT NULL;
CREATE UNIQUE INDEX medicine_doses_corrects ON medicine_doses (corrects_id);

-- Home-care visits. Check-in and check-out are set once each.
CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people(id),
    window_start    TIMESTAMPTZ NOT NULL,
    window_end      TIMESTAMPTZ NOT NULL,
    planned_minutes INTEGER NOT NULL,
    assigned_to     TEXT NOT NULL REFERENCES users(id),
    note            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL REFERENCES users(id),
    checked_in_at   TIMESTAMPTZ,
    checked_in_by   TEXT REFERENCES users(id),
    checked_out_at  TIMESTAMPTZ,
    checked_out_by  TEXT REFERENCES users(id),
    outcome_note    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visits_person ON visits (person_id, window_start);
CREATE INDEX visits_assigned ON visits (assigned_to, window_start);
CREATE INDEX visits_window ON visits (window_start);

CREATE TABLE visit_tasks (
    id          TEXT PRIMARY KEY,
    visit_id    TEXT NOT NULL REFERENCES visits(id),
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    done        BOOLEAN,
    reason      TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMPTZ,
    recorded_by TEXT REFERENCES users(id)
);
CREATE INDEX visit_tasks_visit ON visit_tasks (visit_id, position);
