-- Neighbourhoods as FEP-1b12 groups: memberships with roles and states, the profile
-- fields of a neighbourhood, posts that belong to a group (queued for moderation or
-- announced), and the instance admin's tools: domain block severity, an allowlist for
-- allowlist-only federation, actor suspension and a moderation log.

-- One row per (group, actor), for local groups (our members) and remote groups (our
-- residents' memberships there). ap_id is the activity that made the row and via its type
-- (Join, Follow or Invite), so an Accept, Reject or Undo finds it and an answer names it.
CREATE TABLE memberships (
    id          bigserial PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    member_id   bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    state       text NOT NULL CHECK (state IN ('pending', 'accepted', 'invited', 'banned')),
    ap_id       text UNIQUE,
    via         text CHECK (via IN ('Follow', 'Join', 'Invite')),
    invited_by  bigint REFERENCES actors (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_id, member_id),
    CHECK (group_id <> member_id)
);
CREATE INDEX memberships_group_state_idx ON memberships (group_id, state, role);
CREATE INDEX memberships_member_idx ON memberships (member_id);

-- Profile of a neighbourhood. The name, description (summary), avatar (icon) and banner
-- (image) are also on the actors row, which the actor document is built from.
ALTER TABLE neighbourhoods
    ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    ADD COLUMN boundary    jsonb CHECK (
        boundary IS NULL OR (
            jsonb_typeof(boundary) = 'object'
            AND boundary ->> 'type' IN ('Polygon', 'MultiPolygon')
            AND jsonb_typeof(boundary -> 'coordinates') = 'array'
            AND octet_length(boundary::text) <= 262144)),
    ADD COLUMN avatar_url  text CHECK (avatar_url IS NULL OR avatar_url ~ '^https?://'),
    ADD COLUMN banner_url  text CHECK (banner_url IS NULL OR banner_url ~ '^https?://'),
    ADD CONSTRAINT neighbourhoods_area_name_length CHECK (length(area_name) <= 200);

-- Posts that belong to a group. For a local group: a member's post waiting for a moderator
-- (queued), announced, rejected by a moderator, or removed. For a remote group: a post its
-- Announce brought us (announced) or that its moderators removed.
CREATE TABLE group_posts (
    group_id      bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_id     bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    state         text NOT NULL CHECK (state IN ('queued', 'announced', 'rejected', 'removed')),
    activity      jsonb,
    announce_id   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    PRIMARY KEY (group_id, object_id)
);
CREATE INDEX group_posts_queue_idx ON group_posts (group_id, created_at) WHERE state = 'queued';
CREATE INDEX group_posts_object_idx ON group_posts (object_id);

-- suspend: nothing from the domain is accepted; limit: accepted, but joins always wait for
-- a moderator and group posts from there are queued for moderation.
ALTER TABLE domain_blocks
    ADD COLUMN severity text NOT NULL DEFAULT 'suspend' CHECK (severity IN ('suspend', 'limit'));

-- Domains we federate with when federation_allowlist_only is on (subdomains included).
CREATE TABLE allowed_domains (
    domain      text PRIMARY KEY CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253),
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A suspended actor: a remote one is refused at the inbox, a local one cannot act.
ALTER TABLE actors ADD COLUMN suspended_at timestamptz;

-- Reports: which group they were made in, and whether they were forwarded to the origin.
ALTER TABLE reports
    ADD COLUMN group_id      bigint REFERENCES actors (id) ON DELETE SET NULL,
    ADD COLUMN forwarded_to  text;

-- What moderators and admins did, for accountability: who, what, to what, in which group.
CREATE TABLE moderation_log (
    id          bigserial PRIMARY KEY,
    actor_id    bigint REFERENCES actors (id) ON DELETE SET NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    target      text NOT NULL,
    group_id    bigint REFERENCES actors (id) ON DELETE SET NULL,
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_group_idx ON moderation_log (group_id, id DESC);
CREATE INDEX moderation_log_time_idx ON moderation_log (id DESC);
