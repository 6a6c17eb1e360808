-- Each finding carries a digest of what an evaluation writes in it and the timer does not change
-- (kind, instants, unit, officer, explanation; `digest.rs`). A writer compares a case's new
-- findings with the stored ones by key, state, next transition, unit path and this digest, and so
-- reads narrow rows instead of every column with the explanation (reading those was a quarter of
-- the live writer's time). Rows written before have none: the next evaluation of their case
-- finds them different and writes them once, with the same state (no history row).
ALTER TABLE findings ADD COLUMN digest BIGINT;
