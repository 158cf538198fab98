-- Public feeds: removing an external calendar, and the bounding box of a neighbourhood's boundary.

-- A removed calendar source stays as a row (with its imported items), so adding the same
-- URL again picks up where it left off instead of publishing its events a second time.
ALTER TABLE calendar_sources ADD COLUMN removed_at timestamptz;

-- The bounding box of `neighbourhoods.boundary` (a GeoJSON Polygon or MultiPolygon), kept
-- by a trigger whenever the boundary is written, whoever writes it. The API's area filters
-- pre-select neighbourhoods by this box before the exact test against the boundary.
ALTER TABLE neighbourhoods
    ADD COLUMN bbox_min_lon double precision,
    ADD COLUMN bbox_min_lat double precision,
    ADD COLUMN bbox_max_lon double precision,
    ADD COLUMN bbox_max_lat double precision;

CREATE FUNCTION neighbourhood_boundary_bbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.boundary IS NULL THEN
        NEW.bbox_min_lon := NULL;
        NEW.bbox_min_lat := NULL;
        NEW.bbox_max_lon := NULL;
        NEW.bbox_max_lat := NULL;
        RETURN NEW;
    END IF;
    SELECT min((p ->> 0)::double precision), min((p ->> 1)::double precision),
           max((p ->> 0)::double precision), max((p ->> 1)::double precision)
      INTO NEW.bbox_min_lon, NEW.bbox_min_lat, NEW.bbox_max_lon, NEW.bbox_max_lat
      FROM jsonb_path_query(
               NEW.boundary,
               CASE WHEN NEW.boundary ->> 'type' = 'MultiPolygon'
                    THEN 'strict $.coordinates[*][*][*]' ELSE 'strict $.coordinates[*][*]' END::jsonpath
           ) AS p
     WHERE jsonb_typeof(p) = 'array';
    RETURN NEW;
END;
$$;

CREATE TRIGGER neighbourhoods_boundary_bbox
    BEFORE INSERT OR UPDATE OF boundary ON neighbourhoods
    FOR EACH ROW EXECUTE FUNCTION neighbourhood_boundary_bbox();

UPDATE neighbourhoods SET boundary = boundary WHERE boundary IS NOT NULL;

CREATE INDEX neighbourhoods_bbox_idx ON neighbourhoods (bbox_min_lon, bbox_max_lon)
    WHERE bbox_min_lon IS NOT NULL;
