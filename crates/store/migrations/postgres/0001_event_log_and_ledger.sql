-- The event log: append-only, hash-chained. `seq` is assigned by Casewatch in arrival order.
CREATE TABLE events (
    seq            BIGINT PRIMARY KEY,
    id             TEXT   NOT NULL UNIQUE,
    case_id        TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    subject        TEXT,
    at_us          BIGINT NOT NULL,
    recorded_at_us BIGINT NOT NULL,
    unit           TEXT,
    officer        TEXT,
    body           TEXT   NOT NULL,
    content_hash   TEXT   NOT NULL,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL
);
CREATE INDEX events_case ON events (case_id, at_us, seq);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: events cannot be %', lower(TG_OP);
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- The case ledger: a projection of the log that `casewatch replay` rebuilds.
CREATE TABLE cases (
    case_id     TEXT   PRIMARY KEY,
    kind        TEXT,
    cause       TEXT,
    stage       TEXT,
    unit        TEXT,
    n_events    BIGINT NOT NULL,
    first_at_us BIGINT,
    last_at_us  BIGINT,
    last_seq    BIGINT NOT NULL,
    ledger      TEXT   NOT NULL
);
CREATE INDEX cases_unit ON cases (unit, last_at_us);
CREATE INDEX cases_stage ON cases (stage, last_at_us);
CREATE INDEX cases_kind ON cases (kind, last_at_us);
CREATE INDEX cases_last_at ON cases (last_at_us);
