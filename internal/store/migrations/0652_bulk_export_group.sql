-- Group-level exports ([base]/Group/{id}/$export). For Hearth a Group is
-- one of the partner's data-sharing agreements: the people it receives
-- information about under it, and only the categories it covers. A Group
-- export is a patient-level export narrowed to the group, so level keeps
-- its two compartments and group_id names the agreement.
ALTER TABLE bulk_exports ADD COLUMN group_id TEXT REFERENCES data_sharing_agreements(id);

-- The FHIR base URL the export's resources name their references and
-- Hearth's code systems under, as the kick-off request was answered: the
-- worker that writes the files has no request of its own.
ALTER TABLE bulk_exports ADD COLUMN base TEXT NOT NULL DEFAULT '';
