-- Follow and block lists (Mastodon CSV) uploaded on the moving page are imported in the
-- background: one row per upload, one row per address in it. Every process that runs
-- workers leases a few queued addresses at a time (locked_until, FOR UPDATE SKIP LOCKED),
-- resolves and follows or blocks each, and records how it ended. An account has at most
-- one unfinished import of each kind.

CREATE TABLE list_imports (
    id           bigserial PRIMARY KEY,
    actor_id     bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('follows', 'blocks')),
    accounts     integer NOT NULL,  -- the addresses in the file (its other lines were refused)
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX list_imports_running_idx ON list_imports (actor_id, kind) WHERE finished_at IS NULL;
CREATE INDEX list_imports_actor_idx ON list_imports (actor_id, id DESC);

-- One row per line of the file: an address to work (state 'queued'), or a line that is no
-- address at all (stored 'failed' with its reason). `attempts` counts the leases, so an
-- address whose worker died mid-way is tried again a few times, not forever. An address
-- still queued when the resident stops the import ends 'stopped'.
CREATE TABLE list_import_rows (
    import_id     bigint NOT NULL REFERENCES list_imports (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    address       text NOT NULL,
    state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'already', 'failed', 'stopped')),
    reason        text,
    attempts      smallint NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    finished_at   timestamptz,
    PRIMARY KEY (import_id, position)
);
-- the claim takes the first queued address of every import before the second of any, so
-- one long list does not hold up everyone else's
CREATE INDEX list_import_rows_queued_idx ON list_import_rows (position, import_id) WHERE state = 'queued';
