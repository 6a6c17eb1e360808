-- Supervision coverage per case: steps recorded, and steps some rule of the pack reacts to.
ALTER TABLE cases ADD COLUMN n_steps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN n_covered BIGINT NOT NULL DEFAULT 0;
