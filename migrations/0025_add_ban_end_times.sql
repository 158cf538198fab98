-- A neighbourhood ban may end by itself (Lemmy's `endTime`/`expires` on a remote
-- moderator's Block): banned_until is when. From then on the ban no longer counts (the
-- membership reads skip it), and a background pass (server/ban_expiry_task.py) deletes the
-- row, logs it and sends the member's server Undo{Block}, as lifting a ban does. NULL:
-- the ban holds until a moderator lifts it.
ALTER TABLE memberships
    ADD COLUMN banned_until timestamptz CHECK (banned_until IS NULL OR state = 'banned');
CREATE INDEX memberships_banned_until_idx ON memberships (banned_until) WHERE banned_until IS NOT NULL;
