-- Delivery claims take the queued rows in (next_attempt_at, id) order and stop after a
-- few hundred: with this index they read them in that order instead of reading and
-- sorting every queued row on each claim (a fan-out to 10,000 inboxes read all of them
-- some 150 times). It replaces the index on next_attempt_at alone.
CREATE INDEX deliveries_claim_order_idx ON deliveries (next_attempt_at, id) WHERE state = 'queued';
DROP INDEX deliveries_ready_idx;
-- A claim changes only columns no index holds (locked_until, attempts): with room left
-- on each page PostgreSQL updates the row in place (a HOT update) instead of adding an
-- entry to each of the four indexes. New pages keep half of their space for that.
ALTER TABLE deliveries SET (fillfactor = 50);
