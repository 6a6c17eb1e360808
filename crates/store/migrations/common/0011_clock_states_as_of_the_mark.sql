-- An open clock's state is a function of time: running until its warning instant, warning until
-- its due, overdue after. Its row now stores `open` instead, and the state as of the timer's mark
-- (`timer_mark`: the instant up to which every transition is in the history and the counts) is
-- derived when the row is read. The timer no longer rewrites a finding row per transition: it
-- finds the clocks whose warning or due instant falls between the old mark and the new one
-- through two indexes on those instants, which only evaluations write, and writes the history,
-- the counts and the mark (a burst of 100 000 clocks rewrote 100 000 rows in every index of
-- `findings`; `docs/performance-notes.md`, seventeenth round). Paused clocks, which time does not
-- move, keep `running`. `next_at_us` is no longer written: the next transition is derived too.
CREATE TABLE timer_mark (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    at_us BIGINT  NOT NULL
);
-- The last instant anything was written as of: every stored state was right at its own write.
INSERT INTO timer_mark (id, at_us) SELECT 1, COALESCE(MAX(updated_at_us), 0) FROM findings;
-- Transitions due by the mark that the timer had not yet moved, written as it would have.
INSERT INTO finding_history (case_id, rule, subject, ref, state, at_us, recorded_at_us, cause)
SELECT case_id, rule, subject, ref, 'warning', warn_us, (SELECT at_us FROM timer_mark), 'timer'
FROM findings
WHERE state = 'running' AND next_at_us IS NOT NULL AND warn_us <= (SELECT at_us FROM timer_mark)
    AND warn_us < due_us;
INSERT INTO finding_history (case_id, rule, subject, ref, state, at_us, recorded_at_us, cause)
SELECT case_id, rule, subject, ref, 'overdue', due_us, (SELECT at_us FROM timer_mark), 'timer'
FROM findings
WHERE state IN ('running', 'warning') AND next_at_us IS NOT NULL
    AND due_us <= (SELECT at_us FROM timer_mark);
UPDATE findings SET state = 'open'
WHERE state IN ('warning', 'overdue') OR (state = 'running' AND next_at_us IS NOT NULL);
UPDATE findings SET next_at_us = NULL WHERE next_at_us IS NOT NULL;
DROP INDEX findings_next;
CREATE INDEX findings_open_warn ON findings (warn_us) WHERE state = 'open';
CREATE INDEX findings_open_due ON findings (due_us) WHERE state = 'open';
-- The alert index carries the warning instant last (its order is the lists'), which tells a
-- warning clock from a running one without a visit to the table.
DROP INDEX findings_state_path;
CREATE INDEX findings_state_path ON findings (state, unit_path, due_us, unit, case_id, rule, subject, ref, warn_us)
    WHERE state NOT IN ('met', 'passed');
-- The counts hold the states as of the mark.
DELETE FROM finding_counts;
INSERT INTO finding_counts (unit, rule, state, unit_path, n)
SELECT COALESCE(unit, ''), rule,
    CASE WHEN state <> 'open' THEN state
         WHEN due_us <= (SELECT at_us FROM timer_mark) THEN 'overdue'
         WHEN warn_us <= (SELECT at_us FROM timer_mark) THEN 'warning'
         ELSE 'running' END,
    COALESCE(MAX(unit_path), ''), COUNT(*)
FROM findings GROUP BY 1, 2, 3;
