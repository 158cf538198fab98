-- Every change to the domain policy (a domain block added, changed or lifted, an
-- allowlist entry added or removed; by the server or by hand in psql) sends a NOTIFY on
-- 'buurtplein_domain_policy' when its transaction commits, so every process renews its
-- in-memory copy at once (server/outgoing_policy.py). One per statement; PostgreSQL folds
-- equal notifications of one transaction into one.
CREATE FUNCTION notify_domain_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('buurtplein_domain_policy', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_blocks_notify_policy
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domain_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_domain_policy_changed();

CREATE TRIGGER allowed_domains_notify_policy
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON allowed_domains
    FOR EACH STATEMENT EXECUTE FUNCTION notify_domain_policy_changed();

-- Whether allowlist-only mode (the setting federation_allowlist_only) was on at the last
-- start. A start that finds the mode on while this says off ends, once, what we have with
-- the domains not on the allowlist (server/domain/moderation.py, apply_allowlist_mode).
CREATE TABLE federation_mode (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    allowlist_only  boolean NOT NULL DEFAULT false,
    changed_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO federation_mode DEFAULT VALUES;
