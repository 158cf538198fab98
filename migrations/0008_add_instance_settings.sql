-- Instance settings an admin changes at run time from the web (registration_mode); a
-- missing row means the value from the configuration file or environment.
CREATE TABLE instance_settings (
    name        text PRIMARY KEY CHECK (name IN ('registration_mode')),
    value       text NOT NULL CHECK (length(value) <= 200),
    updated_by  bigint REFERENCES actors (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Reports a moderator or admin has dealt with.
ALTER TABLE reports
    ADD COLUMN resolved_at  timestamptz,
    ADD COLUMN resolved_by  bigint REFERENCES actors (id) ON DELETE SET NULL;
CREATE INDEX reports_open_idx ON reports (group_id, id DESC) WHERE resolved_at IS NULL;
