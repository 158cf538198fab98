-- Inbox claims take the oldest queued rows by id. The old partial index was on
-- next_attempt_at, so every claim read all due queued rows and sorted them, and after the
-- statistics changed (ANALYZE) the planner could walk the primary key through every
-- finished row instead: claims got slower as the table grew. This index holds queued
-- rows only, in id order, so a claim reads just the rows it returns and those it skips.
DROP INDEX IF EXISTS inbox_items_ready_idx;
CREATE INDEX inbox_items_claim_idx ON inbox_items (id) WHERE state = 'queued';
