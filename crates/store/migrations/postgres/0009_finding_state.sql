-- A finding's state and the instant of its next transition move to their own narrow table,
-- `finding_state`, beside copies of the columns its indexes sort by (due, warning instant, unit,
-- unit path). The timer changes only these rows: on PostgreSQL an update that changes an indexed
-- column writes an entry in every index of the row's table, and the transition of 100 000 clocks
-- through the wide `findings` row and its five indexes took 2.2 s, through this table and its
-- three 1.0 s (docs/performance-notes.md, thirteenth round). `findings` keeps what only an
-- evaluation changes. The two tables have the same keys and are written together; readers of
-- whole rows read the view `finding_rows`.
CREATE TABLE finding_state (
    case_id       TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    next_at_us    BIGINT,
    updated_at_us BIGINT NOT NULL,
    warn_us       BIGINT,
    due_us        BIGINT,
    unit          TEXT,
    unit_path     TEXT,
    PRIMARY KEY (case_id, rule, subject, ref)
);
INSERT INTO finding_state (case_id, rule, subject, ref, state, next_at_us, updated_at_us, warn_us, due_us, unit, unit_path)
SELECT case_id, rule, subject, ref, state, next_at_us, updated_at_us, warn_us, due_us, unit, unit_path FROM findings;
CREATE INDEX finding_state_next ON finding_state (next_at_us) WHERE next_at_us IS NOT NULL;
CREATE INDEX finding_state_path ON finding_state (state, unit_path, due_us);
DROP INDEX findings_next;
DROP INDEX findings_state_path;
ALTER TABLE findings DROP COLUMN state, DROP COLUMN next_at_us, DROP COLUMN updated_at_us;
CREATE VIEW finding_rows AS
SELECT f.case_id AS case_id, f.rule AS rule, f.subject AS subject, f.ref AS ref, f.kind AS kind,
       s.state AS state, f.started_us AS started_us, f.due_us AS due_us, f.warn_us AS warn_us,
       f.stopped_us AS stopped_us, s.next_at_us AS next_at_us, f.unit AS unit, f.officer AS officer,
       f.explain AS explain, s.updated_at_us AS updated_at_us, f.unit_path AS unit_path
FROM findings f JOIN finding_state s
  ON s.case_id = f.case_id AND s.rule = f.rule AND s.subject = f.subject AND s.ref = f.ref;
