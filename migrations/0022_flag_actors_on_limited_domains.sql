-- Actors on a *limited* domain (a domain_blocks row with severity 'limit' for their host,
-- without the port, or for a parent domain of it): shared listings leave their content out.
-- The flag is kept by triggers on both tables, whoever writes them, so a listing tests it
-- with one indexed lookup instead of matching every candidate row against every block.

ALTER TABLE actors ADD COLUMN on_limited_domain boolean NOT NULL DEFAULT false;

-- The limited actors are few: listings anti-join against this small index.
CREATE INDEX actors_on_limited_domain_idx ON actors (id) WHERE on_limited_domain;

-- An actors.domain as a host: lower case, without a port (IPv6 hosts keep their brackets).
CREATE FUNCTION actor_host(domain text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN lower(domain) LIKE '[%' THEN regexp_replace(lower(domain), '(\]):[0-9]+$', '\1')
                ELSE split_part(lower(domain), ':', 1) END
$$;

-- Whether `host` or a parent domain of it has a `limit` block.
CREATE FUNCTION host_is_limited(host text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM domain_blocks b
                   WHERE b.severity = 'limit'
                     AND (b.domain = host OR right(host, length(b.domain) + 1) = '.' || b.domain))
$$;

CREATE FUNCTION actors_limited_flag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.on_limited_domain := NOT NEW.is_local AND host_is_limited(actor_host(NEW.domain));
    RETURN NEW;
END;
$$;

CREATE TRIGGER actors_limited_flag
    BEFORE INSERT OR UPDATE OF domain, is_local ON actors
    FOR EACH ROW EXECUTE FUNCTION actors_limited_flag();

-- A block added, changed or lifted: the remote actors on that domain or under it again.
CREATE FUNCTION domain_blocks_limited_flags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text;
BEGIN
    FOR changed IN
        SELECT DISTINCT d FROM unnest(ARRAY[
            CASE WHEN TG_OP <> 'INSERT' THEN OLD.domain END,
            CASE WHEN TG_OP <> 'DELETE' THEN NEW.domain END]) AS d
        WHERE d IS NOT NULL
    LOOP
        UPDATE actors a SET on_limited_domain = want.limited
          FROM (SELECT id, host_is_limited(actor_host(domain)) AS limited FROM actors
                WHERE NOT is_local
                  AND (actor_host(domain) = changed
                       OR right(actor_host(domain), length(changed) + 1) = '.' || changed)) want
         WHERE a.id = want.id AND a.on_limited_domain IS DISTINCT FROM want.limited;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_blocks_limited_flags
    AFTER INSERT OR UPDATE OR DELETE ON domain_blocks
    FOR EACH ROW EXECUTE FUNCTION domain_blocks_limited_flags();

UPDATE actors SET on_limited_domain = true
 WHERE NOT is_local AND host_is_limited(actor_host(domain));
