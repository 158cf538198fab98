-- A post a moderator approved from a neighbourhood's queue (queued -> announced). The
-- approval overrides a *limited* domain for that post in that neighbourhood: its page, its
-- feed and the public API show it (server.storage.visibility.approved_in), while posts
-- announced without a decision (before their domain was limited) stay hidden.
ALTER TABLE group_posts ADD COLUMN approved boolean NOT NULL DEFAULT false;
