-- The alert index leaves out the findings settled without a problem (a clock met in time, a
-- check passed): 95 % of the findings of the demo history, which no alert list walks. A check
-- that passes never enters the index and a clock met in time leaves it, instead of each taking
-- an entry that ingestion writes and the table carries. A list of settled findings walks its
-- unit's findings through `findings_unit_path` in due order (an incremental sort orders the ties)
-- and keeps those of its state, most of them. Queries that walk the alert index repeat its
-- condition word for word (`UNSETTLED` in `sql_common.rs`), as SQLite needs.
DROP INDEX findings_state_path;
CREATE INDEX findings_state_path ON findings (state, unit_path, due_us, unit, case_id, rule, subject, ref)
    WHERE state NOT IN ('met', 'passed');
