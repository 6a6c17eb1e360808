-- The alert index leaves out the findings settled without a problem (a clock met in time, a
-- check passed): 95 % of the findings of the demo history, which no alert list walks. A check
-- that passes never enters the index and a clock met in time leaves it, instead of each taking
-- an entry that ingestion writes and the file carries. Queries that walk the index repeat its
-- condition word for word (`UNSETTLED` in `sql_common.rs`): SQLite uses a partial index only for
-- a query that states its condition.
DROP INDEX findings_state_path;
CREATE INDEX findings_state_path ON findings (state, unit_path, due_us, unit, case_id, rule, subject, ref)
    WHERE state NOT IN ('met', 'passed');
-- A list of settled findings walks its unit's findings in the list's order and keeps those of
-- its state (most of them): the unit path index carries the list's whole order, since SQLite
-- would otherwise sort every finding of the unit to find a page.
DROP INDEX findings_unit_path;
CREATE INDEX findings_unit_path ON findings (unit_path, due_us, unit, case_id, rule, subject, ref);
