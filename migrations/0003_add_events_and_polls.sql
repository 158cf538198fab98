-- Events and polls: the typed side of `objects` rows of type Event and Question (the
-- objects row keeps the AS2 document, the author and the visibility), attendees with
-- their RSVP state, poll options and votes.

-- One row per Event object, local or remote. A remote event's participant count is what
-- its origin reported; a local event counts its attendees.
CREATE TABLE events (
    object_id            bigint PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    name                 text NOT NULL DEFAULT '',
    starts_at            timestamptz NOT NULL,
    ends_at              timestamptz,
    timezone             text,
    place_name           text,
    street_address       text,
    locality             text,
    region               text,
    postal_code          text,
    country              text,
    latitude             double precision CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
    longitude            double precision CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
    online_url           text,
    -- free: anyone; restricted: the organiser approves; invite: invited only;
    -- external: RSVP elsewhere; none: takes no RSVPs (answered with Ignore)
    join_mode            text NOT NULL DEFAULT 'free'
                         CHECK (join_mode IN ('free', 'restricted', 'invite', 'external', 'none')),
    capacity             integer CHECK (capacity IS NULL OR capacity > 0),
    status               text NOT NULL DEFAULT 'scheduled'
                         CHECK (status IN ('scheduled', 'cancelled', 'postponed')),
    reported_participants integer CHECK (reported_participants IS NULL OR reported_participants >= 0),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);
CREATE INDEX events_starts_idx ON events (starts_at);

-- Who comes: one row per (event, actor), whatever the dialect the RSVP came in.
-- rsvp_ap_id is the activity that made the row (a Join, Accept, TentativeAccept, Reject),
-- so an Undo or an organiser's answer finds it.
CREATE TABLE event_attendees (
    id          bigserial PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES events (object_id) ON DELETE CASCADE,
    actor_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state       text NOT NULL CHECK (state IN ('going', 'maybe', 'declined', 'pending')),
    rsvp_ap_id  text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, actor_id)
);
CREATE INDEX event_attendees_state_idx ON event_attendees (event_id, state);
CREATE INDEX event_attendees_actor_idx ON event_attendees (actor_id);

-- One row per Question object. A remote poll's counts are those its origin reported
-- (options.reported_votes, reported_voters); a local poll counts poll_votes.
-- late_votes counts votes that arrived after the poll closed (ignored, but counted).
CREATE TABLE polls (
    object_id        bigint PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    multiple         boolean NOT NULL DEFAULT false,
    ends_at          timestamptz,
    closed_at        timestamptz,
    reported_voters  integer CHECK (reported_voters IS NULL OR reported_voters >= 0),
    late_votes       integer NOT NULL DEFAULT 0
);
CREATE INDEX polls_open_idx ON polls (ends_at) WHERE closed_at IS NULL;

CREATE TABLE poll_options (
    poll_id        bigint NOT NULL REFERENCES polls (object_id) ON DELETE CASCADE,
    position       smallint NOT NULL CHECK (position >= 0),
    name           text NOT NULL,
    reported_votes integer NOT NULL DEFAULT 0 CHECK (reported_votes >= 0),
    PRIMARY KEY (poll_id, position),
    UNIQUE (poll_id, name)
);

-- A vote: one per (poll, actor, option); voters are counted once however many options
-- they chose (count(DISTINCT actor_id)).
CREATE TABLE poll_votes (
    id          bigserial PRIMARY KEY,
    poll_id     bigint NOT NULL,
    position    smallint NOT NULL,
    actor_id    bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    ap_id       text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (poll_id, position) REFERENCES poll_options (poll_id, position) ON DELETE CASCADE,
    UNIQUE (poll_id, actor_id, position)
);
CREATE INDEX poll_votes_poll_idx ON poll_votes (poll_id, position);
