-- When a host's circuit breaker opens, its queued deliveries are moved to the end of the
-- pause in one statement (so claims stop reading them while it lasts); this index finds
-- a host's queued rows without reading the others.
CREATE INDEX deliveries_queued_host_idx ON deliveries (host) WHERE state = 'queued';
