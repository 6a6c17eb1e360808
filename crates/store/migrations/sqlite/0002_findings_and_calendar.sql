-- Findings of the supervision engine: one row per rule, case, subject and occurrence, with the
-- due-time index (`next_at_us`: the next instant at which time alone changes the state).
CREATE TABLE findings (
    case_id       TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    started_us    INTEGER,
    due_us        INTEGER,
    warn_us       INTEGER,
    stopped_us    INTEGER,
    next_at_us    INTEGER,
    unit          TEXT,
    officer       TEXT,
    explain       TEXT    NOT NULL,
    updated_at_us INTEGER NOT NULL,
    PRIMARY KEY (case_id, rule, subject, ref)
);
CREATE INDEX findings_next ON findings (next_at_us) WHERE next_at_us IS NOT NULL;
CREATE INDEX findings_state_due ON findings (state, due_us);
CREATE INDEX findings_unit_state_due ON findings (unit, state, due_us);
CREATE INDEX findings_rule_state ON findings (rule, state);
CREATE INDEX findings_officer_state ON findings (officer, state);

-- Every change of a finding's state, with its cause (`event`, `timer`, `reevaluate`).
CREATE TABLE finding_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    ref            TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    at_us          INTEGER NOT NULL,
    recorded_at_us INTEGER NOT NULL,
    cause          TEXT    NOT NULL
);
CREATE INDEX finding_history_finding ON finding_history (case_id, rule, subject, ref);
CREATE INDEX finding_history_at ON finding_history (at_us);

-- Cases holding events dated after the moment they were evaluated (up to 5 minutes ahead): they
-- are evaluated again at that instant.
ALTER TABLE cases ADD COLUMN reeval_at_us INTEGER;
CREATE INDEX cases_reeval ON cases (reeval_at_us) WHERE reeval_at_us IS NOT NULL;

-- The holiday calendar (法定节假日与调休), seeded from the shipped data, extended by administrators.
CREATE TABLE calendar_years (
    year          INTEGER PRIMARY KEY,
    rest_days     TEXT    NOT NULL,
    makeup_days   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    updated_at_us INTEGER NOT NULL
);
