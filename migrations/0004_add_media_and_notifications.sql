-- Posts in full: uploaded images (media), notifications, hashtags of posts (post_tags),
-- and the indexes the home timeline reads through.

-- Uploaded images, re-encoded (EXIF and GPS gone) and stored under data_dir/media with a
-- random file name. A medium belongs to its uploader until a post attaches it.
CREATE TABLE media (
    id          bigserial PRIMARY KEY,
    file_name   text NOT NULL UNIQUE,
    owner_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_id   bigint REFERENCES objects (id) ON DELETE SET NULL,
    media_type  text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
    width       integer NOT NULL CHECK (width > 0),
    height      integer NOT NULL CHECK (height > 0),
    size_bytes  integer NOT NULL CHECK (size_bytes > 0),
    alt_text    text NOT NULL CHECK (length(btrim(alt_text)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_owner_idx ON media (owner_id, id DESC);
CREATE INDEX media_object_idx ON media (object_id) WHERE object_id IS NOT NULL;

-- What a local actor is told about: mentions, replies, follows, joins, RSVPs, reports.
-- One row per (recipient, kind, actor, object): the same event never notifies twice.
CREATE TABLE notifications (
    id            bigserial PRIMARY KEY,
    recipient_id  bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    actor_id      bigint REFERENCES actors (id) ON DELETE CASCADE,
    object_ap_id  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
CREATE UNIQUE INDEX notifications_once_idx
    ON notifications (recipient_id, kind, coalesce(actor_id, 0), coalesce(object_ap_id, ''));
CREATE INDEX notifications_recipient_idx ON notifications (recipient_id, id DESC);

-- Hashtags of posts, lower-cased without '#'.
CREATE TABLE post_tags (
    object_id  bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    PRIMARY KEY (object_id, name)
);
CREATE INDEX post_tags_name_idx ON post_tags (name, object_id DESC);

-- Home timeline: boosts by an actor, newest first; posts addressed to a neighbourhood
-- (`audience`), newest first.
CREATE INDEX reactions_announces_idx ON reactions (actor_id, id DESC) WHERE kind = 'Announce';
CREATE INDEX objects_audience_idx ON objects ((document ->> 'audience'), id DESC)
    WHERE deleted_at IS NULL AND document ? 'audience';
CREATE INDEX object_recipients_actor_idx ON object_recipients (actor_id, object_id);
