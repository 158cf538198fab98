-- The time zone a resident chose for a poll's end time in the composer (an IANA name;
-- NULL for remote polls and older ones: the page shows those in the instance default).
ALTER TABLE polls ADD COLUMN timezone text;

-- When the attendee made their current answer (the last RSVP, not the organiser's
-- Accept of it). A remote event's page adds our residents' going answers made after the
-- organiser's last count arrived (server.routes.pages_events). Older rows take their
-- creation time, which is never later than their answer.
ALTER TABLE event_attendees ADD COLUMN answered_at timestamptz;
UPDATE event_attendees SET answered_at = created_at;
ALTER TABLE event_attendees ALTER COLUMN answered_at SET DEFAULT now(),
                            ALTER COLUMN answered_at SET NOT NULL;
