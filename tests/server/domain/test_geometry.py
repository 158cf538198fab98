"""Geometry of neighbourhood boundaries: boxes, point in polygon with holes, distances to
a boundary (checked against the great-circle distance), and boxes meeting an area."""

from __future__ import annotations

import math

import pytest

from server.domain import geometry

# A square of 0.02° × 0.01° near Amsterdam with a square hole in its middle.
OUTER = [[4.90, 52.36], [4.92, 52.36], [4.92, 52.37], [4.90, 52.37], [4.90, 52.36]]
HOLE = [[4.905, 52.363], [4.915, 52.363], [4.915, 52.367], [4.905, 52.367], [4.905, 52.363]]
SQUARE = {"type": "Polygon", "coordinates": [OUTER, HOLE]}
TWO = {
    "type": "MultiPolygon",
    "coordinates": [[OUTER], [[[5.10, 52.09], [5.11, 52.09], [5.11, 52.10], [5.10, 52.09]]]],
}


def test_bounding_boxes() -> None:
    assert geometry.bbox_of(SQUARE) == (4.90, 52.36, 4.92, 52.37)
    assert geometry.bbox_of(TWO) == (4.90, 52.09, 5.11, 52.37)
    assert geometry.bbox_of({"type": "Point", "coordinates": [1, 2]}) is None
    box = geometry.bbox_around(52.0, 5.0, 1000)
    assert box[1] == pytest.approx(52.0 - 1000 / geometry.METRES_PER_DEGREE)
    assert box[2] - 5.0 == pytest.approx((1000 / geometry.METRES_PER_DEGREE) / math.cos(math.radians(52)))
    assert geometry.bbox_around(89.999, 0, 5000)[::2] == (-180.0, 180.0)  # over the pole: every longitude
    assert geometry.bbox_around(0, 179.999, 5000)[::2] == (-180.0, 180.0)  # across the antimeridian


def test_points_in_polygons_respect_holes() -> None:
    assert geometry.contains_point(SQUARE, 4.901, 52.361)
    assert not geometry.contains_point(SQUARE, 4.91, 52.365)  # in the hole
    assert not geometry.contains_point(SQUARE, 4.93, 52.365)
    assert geometry.contains_point(TWO, 5.109, 52.091)  # the second polygon (a triangle)
    assert not geometry.contains_point(TWO, 5.101, 52.099)  # beside the triangle's diagonal


def test_distances_to_a_boundary() -> None:
    # Amsterdam Centraal to Utrecht Centraal: about 35 km
    assert geometry.distance_m(52.3791, 4.9003, 52.0894, 5.1101) == pytest.approx(35_400, rel=0.01)
    assert geometry.distance_to_geometry_m(SQUARE, 52.361, 4.901) == 0
    # due north of the top edge: the same as the great-circle distance to the edge
    north = geometry.distance_to_geometry_m(SQUARE, 52.38, 4.91)
    assert north == pytest.approx(geometry.distance_m(52.38, 4.91, 52.37, 4.91), rel=0.001)
    # in the middle of the hole: the nearest edge of the hole (its top and bottom, 0.002°)
    hole = geometry.distance_to_geometry_m(SQUARE, 52.365, 4.91)
    assert hole == pytest.approx(geometry.distance_m(52.365, 4.91, 52.367, 4.91), rel=0.001)
    # beyond a corner: the distance to the corner
    corner = geometry.distance_to_geometry_m(SQUARE, 52.355, 4.89)
    assert corner == pytest.approx(geometry.distance_m(52.355, 4.89, 52.36, 4.90), rel=0.005)
    assert geometry.within_m(SQUARE, 52.38, 4.91, 1200) and not geometry.within_m(SQUARE, 52.38, 4.91, 1000)
    assert geometry.distance_to_geometry_m({"type": "Polygon", "coordinates": []}, 0, 0) == math.inf


def test_boxes_meeting_an_area() -> None:
    assert geometry.intersects_bbox(SQUARE, (4.0, 52.0, 5.0, 53.0))  # holds the whole area
    assert geometry.intersects_bbox(SQUARE, (4.901, 52.361, 4.902, 52.362))  # lies inside it
    assert geometry.intersects_bbox(SQUARE, (4.85, 52.3650, 4.95, 52.3655))  # a band across: edges cross
    assert geometry.intersects_bbox(SQUARE, (4.92, 52.37, 4.93, 52.38))  # touches a corner
    assert not geometry.intersects_bbox(SQUARE, (4.908, 52.364, 4.912, 52.366))  # inside the hole
    assert not geometry.intersects_bbox(SQUARE, (4.93, 52.36, 4.94, 52.37))
    assert geometry.intersects_bbox(TWO, (5.105, 52.0, 5.2, 52.092))
    assert geometry.segments_cross((0, 0), (2, 2), (0, 2), (2, 0))
    assert geometry.segments_cross((0, 0), (1, 0), (1, 0), (2, 5))  # sharing an end
    assert not geometry.segments_cross((0, 0), (1, 0), (2, 0), (3, 0))  # on one line, apart


def test_area_filters_together() -> None:
    assert geometry.matches_area(SQUARE, bbox=(4.0, 52.0, 5.0, 53.0), near=(52.361, 4.901, 10))
    assert not geometry.matches_area(SQUARE, bbox=(4.0, 52.0, 5.0, 53.0), near=(52.0, 4.0, 10))
    assert not geometry.matches_area(None, bbox=(-180, -90, 180, 90), near=None)
