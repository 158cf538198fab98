-- Area follows: an organisation follows every public neighbourhood of an area — by area
-- name, by a bounding box, or around a point — now and later. The area is kept, so a
-- neighbourhood that comes into it later (created, or its area name or boundary changed)
-- is followed too; each neighbourhood is followed at most once per area follow, so an
-- organisation that unfollows one neighbourhood is not made to follow it again.

CREATE TABLE area_follows (
    id               bigserial PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    area_name        text,
    -- the box given (bbox), or none
    bbox_min_lon     double precision,
    bbox_min_lat     double precision,
    bbox_max_lon     double precision,
    bbox_max_lat     double precision,
    -- the point and radius given (near), or none
    near_lat         double precision,
    near_lon         double precision,
    near_radius_m    double precision,
    -- the box a boundary's stored box must overlap to be tested (the bbox, else the box
    -- around the point); none for a follow by area name alone
    pre_min_lon      double precision,
    pre_min_lat      double precision,
    pre_max_lon      double precision,
    pre_max_lat      double precision,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (area_name IS NOT NULL OR bbox_min_lon IS NOT NULL OR near_lat IS NOT NULL),
    CHECK ((bbox_min_lon IS NULL AND near_lat IS NULL) = (pre_min_lon IS NULL))
);
CREATE UNIQUE INDEX area_follows_unique_idx ON area_follows (
    organisation_id, lower(area_name), bbox_min_lon, bbox_min_lat, bbox_max_lon, bbox_max_lat,
    near_lat, near_lon, near_radius_m
) NULLS NOT DISTINCT;
CREATE INDEX area_follows_name_idx ON area_follows (lower(area_name)) WHERE area_name IS NOT NULL;

-- Which neighbourhoods an area follow has followed (or found followed already).
CREATE TABLE area_follow_neighbourhoods (
    area_follow_id   bigint NOT NULL REFERENCES area_follows (id) ON DELETE CASCADE,
    neighbourhood_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    followed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_follow_id, neighbourhood_id)
);
