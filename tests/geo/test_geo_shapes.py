"""RFC 7946 output and the township partition, on numbers: no database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shapely.geometry import Polygon, box, shape

from geo.shapes import points, rfc7946, township_partition

# A square with a square hole, both rings the wrong way round for RFC 7946.
CLOCKWISE_SHELL = [(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)]
COUNTER_CLOCKWISE_HOLE = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75), (0.25, 0.25)]


def _numbers(value) -> list[float]:
    if isinstance(value, (int, float)):
        return [value]
    return [n for item in value for n in _numbers(item)]


def test_exterior_rings_come_out_counter_clockwise_and_holes_clockwise():
    geometry = rfc7946(Polygon(CLOCKWISE_SHELL, [COUNTER_CLOCKWISE_HOLE]))

    polygon = shape(geometry)
    assert polygon.exterior.is_ccw
    assert [ring.is_ccw for ring in polygon.interiors] == [False]


def test_every_part_of_a_multipolygon_is_oriented():
    geometry = rfc7946({"type": "MultiPolygon", "coordinates": [[CLOCKWISE_SHELL],
                                                                [[(2, 0), (2, 1), (3, 1), (3, 0), (2, 0)]]]})

    assert all(part.exterior.is_ccw for part in shape(geometry).geoms)


def test_coordinates_are_written_with_at_most_six_decimals():
    geometry = rfc7946(box(106.12345678901, 23.98765432101, 106.5000000001, 24.1))

    written = json.loads(json.dumps(geometry))
    assert all(len(repr(n).partition(".")[2]) <= 6 for n in _numbers(written["coordinates"]))
    assert [106.123457, 23.987654] in written["coordinates"][0]


def test_a_point_is_rounded_to_six_decimals():
    assert points([106.6181234567], [23.9012345678]) == [{"type": "Point", "coordinates": [106.618123, 23.901235]}]


def test_a_village_without_a_position_has_no_point():
    assert points([106.6181234567, None], [23.9012345678, None]) == [
        {"type": "Point", "coordinates": [106.618123, 23.901235]}, None]


def test_no_geometry_stays_none():
    assert rfc7946(None) is None


def test_townships_partition_their_county():
    county = box(0, 0, 1, 1)
    villages = [("a", 0.2, 0.2), ("a", 0.3, 0.7), ("b", 0.8, 0.3), ("b", 0.7, 0.8), ("c", 0.5, 0.5)]

    regions = township_partition(county, villages)

    assert sorted(regions) == ["a", "b", "c"]
    assert regions["a"].intersection(regions["b"]).area == 0
    assert regions["a"].intersection(regions["c"]).area == 0
    assert regions["b"].intersection(regions["c"]).area == 0
    assert abs(sum(r.area for r in regions.values()) - county.area) < 1e-12


def test_the_county_border_is_kept_exactly():
    # A wiggly border that simplification at ~50 m would straighten: the townships must follow it.
    county = Polygon([(0, 0), (1, 0), (1, 1), (0.5, 1.0002), (0, 1)])

    regions = township_partition(county, [("a", 0.25, 0.5), ("b", 0.75, 0.5)])

    assert regions["a"].union(regions["b"]).symmetric_difference(county).area < 1e-12
    assert (0.5, 1.0002) in regions["a"].union(regions["b"]).exterior.coords


def test_two_villages_at_one_position_do_not_break_the_partition():
    regions = township_partition(box(0, 0, 1, 1), [("a", 0.2, 0.2), ("b", 0.2, 0.2), ("c", 0.8, 0.8)])

    # The shared position's cell goes to the first village given.
    assert sorted(regions) == ["a", "c"]


def test_a_lone_village_gives_no_partition():
    assert township_partition(box(0, 0, 1, 1), [("a", 0.5, 0.5)]) == {}


def test_geo_shapes_does_not_import_django():
    script = ("import sys, geo.shapes\n"
              "print(','.join(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
