-- Public feeds: private "my events" calendar tokens and external calendars (the iCal bridge).

-- A resident's private calendar feed is reached through an unguessable token. Only the
-- SHA-256 of the token is stored, so a database leak does not reveal working feed URLs;
-- revoking sets revoked_at (the row stays, so a revoked token can never be issued again).
CREATE TABLE calendar_tokens (
    id           bigserial PRIMARY KEY,
    actor_id     bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX calendar_tokens_actor_idx ON calendar_tokens (actor_id) WHERE revoked_at IS NULL;

-- An external .ics calendar a neighbourhood imports. `status` is what the settings page
-- shows: 'pending' (never synced), 'ok', or why the last sync stopped.
CREATE TABLE calendar_sources (
    id               bigserial PRIMARY KEY,
    neighbourhood_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    url              text NOT NULL CHECK (url ~ '^https?://'),
    source_name      text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'ok', 'too_large', 'malformed', 'timeout',
                                       'refused', 'http_error', 'failed')),
    last_error       text,
    event_count      integer NOT NULL DEFAULT 0,
    etag             text,
    last_modified    text,
    next_sync_at     timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_attempt_at  timestamptz,
    last_success_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (neighbourhood_id, url)
);
CREATE INDEX calendar_sources_due_idx ON calendar_sources (next_sync_at);

-- One row per imported occurrence: keyed by the source's UID and RECURRENCE-ID ('' for a
-- single event), pointing at the event we published, so a resync updates instead of
-- duplicating, and an older SEQUENCE never overwrites a newer one.
CREATE TABLE calendar_source_items (
    source_id      bigint NOT NULL REFERENCES calendar_sources (id) ON DELETE CASCADE,
    uid            text NOT NULL,
    recurrence_id  text NOT NULL DEFAULT '',
    sequence       integer NOT NULL DEFAULT 0,
    content_hash   text NOT NULL,
    object_ap_id   text NOT NULL,
    cancelled      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, uid, recurrence_id)
);

-- The instance feed reads local public objects newest first.
CREATE INDEX objects_public_local_idx ON objects (published_at DESC, id DESC)
    WHERE visibility = 'public' AND deleted_at IS NULL AND is_local;
