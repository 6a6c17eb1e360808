-- The dashboard's reads (counts by unit subtree and state; the alert list of a subtree filtered
-- by state and sorted by due) answered from one covering index, without visiting the rows: at
-- 200 000 cases they took 190–270 ms p99 through (state, due_us) and row lookups. It replaces
-- (state, due_us), whose queries it serves by its first column.
DROP INDEX findings_state_due;
CREATE INDEX findings_state_path ON findings (state, unit_path, due_us, unit, case_id, rule, subject, ref);
