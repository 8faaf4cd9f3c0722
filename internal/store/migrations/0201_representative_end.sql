-- Ending a representative's authority (an LPA revoked, a deputy discharged,
-- a parent's responsibility ended by a court) says why and who recorded it.
-- The row is kept; only the end is filled in.
ALTER TABLE representatives ADD COLUMN end_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE representatives ADD COLUMN ended_by_name TEXT NOT NULL DEFAULT '';
ALTER TABLE representatives ADD COLUMN ended_at TIMESTAMPTZ;
