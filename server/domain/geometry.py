"""Plane-and-sphere geometry for neighbourhood boundaries (GeoJSON Polygon and
MultiPolygon, `[longitude, latitude]` positions): bounding boxes, point in polygon (holes
respected), distance from a point to a boundary, and whether a boundary meets a bounding
box. Pure: no I/O.

Distances are metres on a sphere of the Earth's mean radius. The distance from a point to
a boundary's edges is measured in a local flat projection around the point, which is
accurate to well under a percent for the distances the API allows (at most 100 km).
Boxes that cross the antimeridian are not supported (the API's boxes never do).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180

Position = tuple[float, float]  # longitude, latitude
Ring = list[Position]
Polygon = list[Ring]  # the outer ring first, then holes
BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def polygons_of(geometry: Mapping[str, Any]) -> list[Polygon]:
    """The polygons of a (validated) GeoJSON Polygon or MultiPolygon; [] for anything else."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return []
    raw = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in raw]


def _positions(polygons: Sequence[Polygon]) -> Iterator[Position]:
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def bbox_of(geometry: Mapping[str, Any]) -> BBox | None:
    """The smallest box around every position; None without positions."""
    positions = list(_positions(polygons_of(geometry)))
    if not positions:
        return None
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return min(lons), min(lats), max(lons), max(lats)


def bbox_around(lat: float, lon: float, radius_m: float) -> BBox:
    """A box holding every point within `radius_m` of (lat, lon); near a pole or the
    antimeridian it spans every longitude (a coarse pre-selection, never too small)."""
    dlat = radius_m / METRES_PER_DEGREE
    cos_lat = math.cos(math.radians(lat))
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if min_lat <= -90 or max_lat >= 90 or cos_lat < 1e-9:
        return -180.0, min_lat, 180.0, max_lat
    dlon = dlat / cos_lat
    if lon - dlon < -180 or lon + dlon > 180:
        return -180.0, min_lat, 180.0, max_lat
    return lon - dlon, min_lat, lon + dlon, max_lat


def boxes_overlap(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def point_in_ring(lon: float, lat: float, ring: Sequence[Position]) -> bool:
    """Even-odd rule (a ray to the east crosses the ring an odd number of times)."""
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def point_in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    """Inside the outer ring and in none of the holes."""
    if not polygon or not point_in_ring(lon, lat, polygon[0]):
        return False
    return not any(point_in_ring(lon, lat, hole) for hole in polygon[1:])


def contains_point(geometry: Mapping[str, Any], lon: float, lat: float) -> bool:
    return any(point_in_polygon(lon, lat, polygon) for polygon in polygons_of(geometry))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _local_xy(lat0: float, lon0: float, position: Position) -> tuple[float, float]:
    """Metres east and north of (lat0, lon0) in a flat projection around it."""
    dlon = (position[0] - lon0 + 540.0) % 360.0 - 180.0
    return dlon * METRES_PER_DEGREE * math.cos(math.radians(lat0)), (position[1] - lat0) * METRES_PER_DEGREE


def _to_segment(x1: float, y1: float, x2: float, y2: float) -> float:
    """Distance from the origin to the segment (x1, y1)–(x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length2))
    return math.hypot(x1 + t * dx, y1 + t * dy)


def distance_to_geometry_m(geometry: Mapping[str, Any], lat: float, lon: float) -> float:
    """0 inside the area; else the distance to its nearest edge; infinity without edges."""
    polygons = polygons_of(geometry)
    if any(point_in_polygon(lon, lat, polygon) for polygon in polygons):
        return 0.0
    nearest = math.inf
    for polygon in polygons:
        for ring in polygon:
            points = [_local_xy(lat, lon, p) for p in ring]
            for (x1, y1), (x2, y2) in pairwise(points):
                nearest = min(nearest, _to_segment(x1, y1, x2, y2))
    return nearest


def within_m(geometry: Mapping[str, Any], lat: float, lon: float, radius_m: float) -> bool:
    """Whether the area comes within `radius_m` of the point (or holds it)."""
    return distance_to_geometry_m(geometry, lat, lon) <= radius_m


def _orientation(a: Position, b: Position, c: Position) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Position, b: Position, c: Position) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_cross(p1: Position, p2: Position, q1: Position, q2: Position) -> bool:
    """Whether two closed segments share a point (touching counts)."""
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(q1, q2, p1))
        or (d2 == 0 and _on_segment(q1, q2, p2))
        or (d3 == 0 and _on_segment(p1, p2, q1))
        or (d4 == 0 and _on_segment(p1, p2, q2))
    )


def intersects_bbox(geometry: Mapping[str, Any], box: BBox) -> bool:
    """Whether the area and the box share a point: a boundary position lies in the box, a
    corner of the box lies in the area, or an edge of the area crosses an edge of the box."""
    min_lon, min_lat, max_lon, max_lat = box
    corners = [(min_lon, min_lat), (max_lon, min_lat), (max_lon, max_lat), (min_lon, max_lat)]
    box_edges = list(zip(corners, corners[1:] + corners[:1], strict=True))
    for polygon in polygons_of(geometry):
        if not polygon or not polygon[0]:
            continue
        lons, lats = [p[0] for p in polygon[0]], [p[1] for p in polygon[0]]
        if not boxes_overlap((min(lons), min(lats), max(lons), max(lats)), box):
            continue  # the holes lie within the outer ring
        if any(min_lon <= x <= max_lon and min_lat <= y <= max_lat for ring in polygon for x, y in ring):
            return True
        if any(point_in_polygon(x, y, polygon) for x, y in corners):
            return True
        for ring in polygon:
            for a, b in pairwise(ring):
                if any(segments_cross(a, b, c, d) for c, d in box_edges):
                    return True
    return False


def matches_area(
    geometry: Mapping[str, Any] | None, *, bbox: BBox | None, near: tuple[float, float, float] | None
) -> bool:
    """Whether a boundary meets every area filter given (`near` is lat, lon, radius in
    metres); a neighbourhood without a boundary meets none."""
    if geometry is None:
        return False
    if bbox is not None and not intersects_bbox(geometry, bbox):
        return False
    return near is None or within_m(geometry, near[0], near[1], near[2])
