-- Data portability (docs/portability.md): where imported objects came from, and the moves
-- of actors (a local actor moved away, an archive imported here, a Move received).

-- Each object recreated from an archive keeps a pointer to its id on the old host, so a
-- late reply or RSVP that names the old id can be matched to the new object.
CREATE TABLE imported_objects (
    original_ap_id  text PRIMARY KEY,
    object_id       bigint NOT NULL UNIQUE REFERENCES objects (id) ON DELETE CASCADE,
    imported_at     timestamptz NOT NULL DEFAULT now()
);

-- kind: 'imported'  an archive of origin_ap_id was imported here as target_ap_id (local);
--       'moved_out' our local origin_ap_id moved to target_ap_id (Move sent);
--       'received'  a Move of a remote origin_ap_id to target_ap_id was processed here.
CREATE TABLE actor_moves (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('imported', 'moved_out', 'received')),
    origin_ap_id     text NOT NULL,
    target_ap_id     text NOT NULL,
    activity_ap_id   text,
    notice_ap_id     text,
    follows_moved    integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, origin_ap_id, target_ap_id)
);
CREATE INDEX actor_moves_origin_idx ON actor_moves (origin_ap_id);
