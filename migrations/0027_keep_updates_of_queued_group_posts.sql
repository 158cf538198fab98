-- A member's latest Update of a post (or event) while it waits for a moderator in one of
-- our neighbourhoods (state 'queued'): the signed activity as received (a remote member's,
-- with its proof) or as we signed it (a resident's edit). When a moderator approves the
-- post, the group announces the original Create (`activity`) and then this Update, so
-- followers get the current version with both proofs intact. NULL: not changed while queued.
ALTER TABLE group_posts ADD COLUMN queued_update jsonb;
