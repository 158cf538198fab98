-- A local actor's document (and its WebFinger answer) is made of its actors row, its
-- actor_keys rows and, for a neighbourhood, the area name and boundary. Each server
-- process keeps what it rendered and, per request, reads only this stamp to know whether
-- that is still current: any change to one of those rows gives the actor a new stamp.
-- The stamps come from one sequence, so an actor deleted and made again never gets back
-- a stamp it had.
CREATE SEQUENCE actor_document_versions;
ALTER TABLE actors ADD COLUMN document_version bigint NOT NULL DEFAULT nextval('actor_document_versions');

-- The same lookup finds actors by lower-cased username. On `lower(username)` the planner
-- takes a table of a few hundred rows for cheap to scan, but lower() on every row costs
-- several times an index probe; the lower-cased name kept in the row (compared bytewise)
-- makes either plan cheap.
ALTER TABLE actors ADD COLUMN username_key text COLLATE "C" GENERATED ALWAYS AS (lower(username)) STORED;
CREATE INDEX actors_local_username_key_idx ON actors (username_key) WHERE is_local;

CREATE FUNCTION actor_document_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.document_version := nextval('actor_document_versions');
    RETURN NEW;
END;
$$;
CREATE TRIGGER actors_document_version
    BEFORE UPDATE ON actors
    FOR EACH ROW WHEN (NEW.is_local) EXECUTE FUNCTION actor_document_changed();

-- a change to a key or to a neighbourhood's area touches its local actor (the trigger
-- above then gives the actor its new stamp); remote actors need no stamp
CREATE FUNCTION actor_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE actors SET document_version = 0 WHERE id = OLD.actor_id AND is_local;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.actor_id IS DISTINCT FROM OLD.actor_id) THEN
        UPDATE actors SET document_version = 0 WHERE id = NEW.actor_id AND is_local;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER actor_keys_document_version
    AFTER INSERT OR UPDATE OR DELETE ON actor_keys
    FOR EACH ROW EXECUTE FUNCTION actor_part_changed();
CREATE TRIGGER neighbourhoods_document_version
    AFTER INSERT OR UPDATE OF actor_id, area_name, boundary OR DELETE ON neighbourhoods
    FOR EACH ROW EXECUTE FUNCTION actor_part_changed();
