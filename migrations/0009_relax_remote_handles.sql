-- Handles are unique among our own actors only. Two remote actor ids can share a handle
-- (an http and an https id of one account, or an account deleted and made again), and
-- storing the second must not fail.
DROP INDEX actors_handle_idx;
CREATE UNIQUE INDEX actors_local_handle_idx ON actors (lower(username), lower(domain)) WHERE is_local;
CREATE INDEX actors_handle_idx ON actors (lower(username), lower(domain));
