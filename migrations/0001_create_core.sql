-- Core tables: actors (local and remote), their keys, accounts, neighbourhoods,
-- follows, objects, reactions, blocks, and the two durable queues
-- (inbox_items for received activities, deliveries for outgoing ones).

CREATE TABLE actors (
    id                bigserial PRIMARY KEY,
    ap_id             text NOT NULL UNIQUE,
    kind              text NOT NULL CHECK (kind IN ('Application', 'Group', 'Person', 'Organization', 'Service')),
    is_local          boolean NOT NULL,
    username          text NOT NULL,
    domain            text NOT NULL,
    name              text NOT NULL DEFAULT '',
    summary           text NOT NULL DEFAULT '',
    url               text,
    inbox_url         text NOT NULL,
    outbox_url        text,
    shared_inbox_url  text,
    followers_url     text,
    following_url     text,
    featured_url      text,
    icon_url          text,
    image_url         text,
    manually_approves boolean NOT NULL DEFAULT false,
    discoverable      boolean NOT NULL DEFAULT true,
    also_known_as     text[] NOT NULL DEFAULT '{}',
    moved_to          text,
    document          jsonb,
    fetched_at        timestamptz,
    gone_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX actors_handle_idx ON actors (lower(username), lower(domain));
CREATE INDEX actors_domain_idx ON actors (lower(domain));

-- Public keys of every actor (RSA for draft-cavage, Ed25519 Multikeys for RFC 9421 and
-- proofs). Local actors also hold their private keys here.
CREATE TABLE actor_keys (
    key_id       text PRIMARY KEY,
    actor_id     bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    algorithm    text NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
    public_pem   text NOT NULL,
    private_pem  text,
    fetched_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX actor_keys_actor_idx ON actor_keys (actor_id);

CREATE TABLE accounts (
    id             bigserial PRIMARY KEY,
    actor_id       bigint NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    email          text,
    password_hash  text NOT NULL,
    is_admin       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE neighbourhoods (
    actor_id          bigint PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    area_name         text NOT NULL DEFAULT '',
    membership_mode   text NOT NULL DEFAULT 'open' CHECK (membership_mode IN ('open', 'approval', 'invitation')),
    posting_mode      text NOT NULL DEFAULT 'members' CHECK (posting_mode IN ('members', 'moderated', 'open')),
    timezone          text NOT NULL DEFAULT 'Europe/Amsterdam',
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE follows (
    id           bigserial PRIMARY KEY,
    ap_id        text NOT NULL UNIQUE,
    follower_id  bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    followed_id  bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state        text NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (follower_id, followed_id)
);
CREATE INDEX follows_followed_idx ON follows (followed_id, state);

-- Notes, Articles, Events, Questions, local and remote; a row with deleted_at set is a
-- tombstone (a Delete that arrives before its Create leaves one, so the Create loses).
CREATE TABLE objects (
    id             bigserial PRIMARY KEY,
    ap_id          text NOT NULL UNIQUE,
    type           text NOT NULL,
    actor_id       bigint REFERENCES actors (id) ON DELETE CASCADE,
    attributed_to  text NOT NULL,
    in_reply_to    text,
    visibility     text NOT NULL CHECK (visibility IN ('public', 'unlisted', 'followers', 'members', 'direct')),
    is_local       boolean NOT NULL,
    content        text NOT NULL DEFAULT '',
    document       jsonb,
    published_at   timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz,
    deleted_at     timestamptz
);
CREATE INDEX objects_actor_idx ON objects (actor_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX objects_reply_idx ON objects (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- Objects that address a recipient directly (followers-only or direct posts we received).
CREATE TABLE object_recipients (
    object_id  bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    actor_id   bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (object_id, actor_id)
);

CREATE TABLE reactions (
    id          bigserial PRIMARY KEY,
    ap_id       text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('Like', 'Announce')),
    actor_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_ap_id text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, actor_id, object_ap_id)
);
CREATE INDEX reactions_object_idx ON reactions (object_ap_id);

CREATE TABLE actor_blocks (
    id           bigserial PRIMARY KEY,
    ap_id        text UNIQUE,
    blocker_id   bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    blocked_id   bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (blocker_id, blocked_id)
);

CREATE TABLE domain_blocks (
    domain      text PRIMARY KEY,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reports (
    id          bigserial PRIMARY KEY,
    ap_id       text UNIQUE,
    reporter_id bigint REFERENCES actors (id) ON DELETE SET NULL,
    target_ids  text[] NOT NULL,
    content     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Received activities: committed before the inbox answers 202, processed by workers.
CREATE TABLE inbox_items (
    id               bigserial PRIMARY KEY,
    activity_id      text NOT NULL UNIQUE,
    actor_ap_id      text NOT NULL,
    recipient_id     bigint REFERENCES actors (id) ON DELETE CASCADE,
    document         jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'ignored', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX inbox_items_ready_idx ON inbox_items (next_attempt_at) WHERE state = 'queued';

-- Outgoing activities and one delivery row per target inbox (a transactional outbox).
CREATE TABLE outgoing_activities (
    id          bigserial PRIMARY KEY,
    ap_id       text NOT NULL UNIQUE,
    actor_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    document    jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    activity_id      bigint NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox_url        text NOT NULL,
    host             text NOT NULL,
    state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_ready_idx ON deliveries (next_attempt_at) WHERE state = 'queued';

-- What we know of each remote host: circuit breaker, availability, signature scheme.
CREATE TABLE hosts (
    host                  text PRIMARY KEY,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    paused_until          timestamptz,
    failure_days          date[] NOT NULL DEFAULT '{}',
    unavailable_since     timestamptz,
    last_success_at       timestamptz,
    signature_scheme      text CHECK (signature_scheme IN ('rfc9421', 'cavage'))
);
