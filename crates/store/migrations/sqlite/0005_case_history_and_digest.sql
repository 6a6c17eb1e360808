-- Each case's events in the compact binary form (casewatch_core::event::binary), in log order, so
-- that re-evaluation and ingestion read typed events back without parsing JSON; NULL for cases
-- stored before this migration (they are read from `events` until rebuilt). The canonical JSON in
-- `events` stays the source of truth; `casewatch replay` rebuilds this column from it.
ALTER TABLE cases ADD COLUMN history BLOB;
-- A digest of the case's findings as last written (everything but the explanation and the write
-- instant, with the rule and calendar fingerprints): re-evaluation compares it before loading any
-- finding. NULL when unknown.
ALTER TABLE cases ADD COLUMN fdigest BIGINT;
