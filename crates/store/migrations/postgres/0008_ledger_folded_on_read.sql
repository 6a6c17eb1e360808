-- The case ledger is no longer stored: reading a case folds its binary history
-- (`cases.history`) with the same function ingestion uses, so the two cannot disagree, and an
-- append no longer rewrites the ledger's JSON (a kilobyte or two per case, which pushed each
-- case's row into overflow pages) for every event of the case.
ALTER TABLE cases DROP COLUMN ledger;
