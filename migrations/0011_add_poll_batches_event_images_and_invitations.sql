-- Content federation: batched poll results, event images and event invitations.

-- Poll results are sent in batches: a counted vote marks the poll's results as due
-- (results_due_at) instead of sending an Update at once; the poll closer sends the due
-- ones, at most one Update per poll per `poll_results_interval_seconds` (results_sent_at).
ALTER TABLE polls
    ADD COLUMN results_due_at  timestamptz,
    ADD COLUMN results_sent_at timestamptz;
CREATE INDEX polls_results_due_idx ON polls (results_due_at) WHERE results_due_at IS NOT NULL;

-- Invitations to events whose join mode is `invite`: an invited actor is an attendee in
-- state `invited` (rsvp_ap_id = the id of the Invite) until they accept.
ALTER TABLE event_attendees DROP CONSTRAINT event_attendees_state_check;
ALTER TABLE event_attendees ADD CONSTRAINT event_attendees_state_check
    CHECK (state IN ('going', 'maybe', 'declined', 'pending', 'invited'));

-- An event's image (its `attachment`): ours points at our media, a received one at the
-- origin's URL (never fetched while the activity is handled).
ALTER TABLE events
    ADD COLUMN image_url        text,
    ADD COLUMN image_media_type text,
    ADD COLUMN image_alt        text;
