-- Posts locked in a neighbourhood (Lemmy's Lock, undone by Undo{Lock}): the group no
-- longer announces replies to them, and our residents cannot reply to them.
CREATE TABLE locked_posts (
    object_ap_id  text PRIMARY KEY,
    group_id      bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    locked_by     text NOT NULL,
    activity_id   text,
    locked_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locked_posts_group_idx ON locked_posts (group_id);
