-- Findings counted by unit, rule and state, kept current in the same transaction as every write
-- of `findings` (ingestion, timers, re-evaluation, replay, unit registration): the dashboard's
-- counts by unit subtree and the statistics by rule read this small table instead of counting
-- millions of finding rows (333 ms p99 at 1 000 000 cases through a covering index).
-- `unit` and `unit_path` are '' when the finding names no unit or an unregistered one; the
-- path is a function of the unit and is stored beside it for subtree filters.
CREATE TABLE finding_counts (
    unit      TEXT   NOT NULL,
    rule      TEXT   NOT NULL,
    state     TEXT   NOT NULL,
    unit_path TEXT   NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (unit, rule, state)
);
CREATE INDEX finding_counts_path ON finding_counts (unit_path text_pattern_ops);
INSERT INTO finding_counts (unit, rule, state, unit_path, n)
SELECT COALESCE(unit, ''), rule, state, COALESCE(MAX(unit_path), ''), COUNT(*)
FROM findings GROUP BY COALESCE(unit, ''), rule, state;

-- With the counts kept apart, fewer indexes of `findings` hold `state`: a timer's transition
-- rewrote every index containing it (six of them: 4.3 s for a burst of 100 000 clocks), and
-- every new finding lands in each index. The alert list by state (and subtree, rule, unit)
-- reads `findings_state_path`; by subtree alone, `findings_unit_path`; by officer,
-- `findings_officer`.
DROP INDEX findings_unit_state_due;
DROP INDEX findings_rule_state;
DROP INDEX findings_officer_state;
DROP INDEX findings_unit_path;
CREATE INDEX findings_officer ON findings (officer, due_us);
CREATE INDEX findings_unit_path ON findings (unit_path text_pattern_ops, due_us);
