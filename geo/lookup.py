"""Which county, township and village is a WGS-84 point in (or nearest to)?

Counties have real boundary polygons; townships and villages only have (generated)
points. So a point is located in two steps: the county whose polygon covers it, then
the nearest village within that county, whose parent township is reported as the
township. Restricting the village search to the county stops a point just inside one
county from being attributed to a village across the border.

``AreaIndex`` is built once per process from plain data (the Django side reads the
JSON or the database and caches the instance); lookups are then pure in-memory work:
a bounding-box query on an STRtree of counties, a prepared-polygon ``covers`` test,
and a vectorised haversine pass over at most a few thousand villages, refined with
the exact geodesic. At Baise's size (12 counties, 1,897 villages) a brute-force
vectorised pass is tens of microseconds, so a spatial tree for villages buys nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, shape

from geo.distance import MEAN_EARTH_RADIUS_KM, geodesic_m

# Haversine is within ~0.5 % of the geodesic either way, so the geodesically nearest
# village can rank up to ~1 % behind the haversine winner; everything that close is
# re-measured exactly. The extra kilometre fraction covers near-zero distances.
_RANK_SLACK_FACTOR = 1.011
_RANK_SLACK_KM = 0.001

CodeName = tuple[str, str]


@dataclass(frozen=True)
class CountyShape:
    """A county (区/县/县级市) with its boundary as a GeoJSON geometry in lon/lat."""

    code: str
    name: str
    geometry: dict[str, Any]


@dataclass(frozen=True)
class PlacePoint:
    """A township or village represented by a single WGS-84 point.

    ``parent_code`` is the county code for a township and the township code for a
    village.
    """

    code: str
    name: str
    parent_code: str
    lat: float
    lng: float


@dataclass(frozen=True)
class NearestVillage:
    code: str
    name: str
    township_code: str
    distance_m: float


@dataclass(frozen=True)
class Located:
    """Where a point falls. Everything is None outside every known county."""

    county: CodeName | None
    township: CodeName | None
    village: CodeName | None
    distance_m: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AreaIndex:
    """In-memory point-in-area and nearest-village lookups.

    Villages are kept as columns (numpy arrays of codes, names, townships and positions), not one
    object each: at national scale (490,000 villages) objects cost a web worker ≈380 MB, the columns
    a fraction of it (bench/national). ``from_columns`` builds it without objects at all.
    """

    def __init__(
        self,
        counties: Iterable[CountyShape],
        townships: Iterable[PlacePoint],
        villages: Iterable[PlacePoint],
    ) -> None:
        villages = list(villages)
        self._build(counties, townships, [v.code for v in villages], [v.name for v in villages],
                    [v.parent_code for v in villages], [v.lat for v in villages], [v.lng for v in villages])

    @classmethod
    def from_columns(cls, counties: Iterable[CountyShape], townships: Iterable[PlacePoint], codes: list[str],
                     names: list[str], parents: list[str], lats: list[float], lngs: list[float]) -> AreaIndex:
        """The same index from the villages' columns (code, name, township code, lat, lng)."""
        index = cls.__new__(cls)
        index._build(counties, townships, codes, names, parents, lats, lngs)
        return index

    def _build(self, counties, townships, codes, names, parents, lats, lngs) -> None:
        # Sorting by code makes every tie-break below "lowest code wins" for free.
        self._counties = sorted(counties, key=lambda county: county.code)
        self._county_geometries = [shape(county.geometry) for county in self._counties]
        for geometry in self._county_geometries:
            shapely.prepare(geometry)
        self._county_tree = STRtree(self._county_geometries)

        self._townships = {township.code: township for township in townships}
        code_array = np.array(codes, dtype=str)
        order = np.argsort(code_array, kind="stable")
        self._village_code = code_array[order]
        self._village_name = np.array(names, dtype=str)[order]
        self._village_parent = np.array(parents, dtype=str)[order]
        self._village_lat = np.array(lats, dtype=float)[order]
        self._village_lng = np.array(lngs, dtype=float)[order]
        self._village_lat_rad = np.radians(self._village_lat)
        self._village_lng_rad = np.radians(self._village_lng)
        self._village_cos_lat = np.cos(self._village_lat_rad)

        county_of = {code: township.parent_code for code, township in self._townships.items()}
        by_county: dict[str, list[int]] = {}
        for position, parent in enumerate(self._village_parent.tolist()):
            county = county_of.get(parent)
            if county is not None:
                by_county.setdefault(county, []).append(position)
        self._village_positions_by_county = {
            code: np.array(positions, dtype=np.intp) for code, positions in by_county.items()
        }

    def county_at(self, lat: float, lng: float) -> CountyShape | None:
        """The county whose polygon covers the point, or None.

        Boundary points count as covered. Neighbouring counties share their border
        vertices exactly, so a point on a shared border is covered by both; it then
        resolves to the lowest county code, making the answer stable across runs and
        independent of input order.
        """
        point = Point(lng, lat)
        candidates = sorted(int(i) for i in self._county_tree.query(point))
        for i in candidates:
            if self._county_geometries[i].covers(point):
                return self._counties[i]
        return None

    def nearest_village(
        self, lat: float, lng: float, county_code: str | None = None
    ) -> NearestVillage | None:
        """The geodesically nearest village, optionally only among one county's villages.

        Ties (equal distance to the millimetre) go to the lowest village code.
        """
        if county_code is None:
            positions = np.arange(len(self._village_code), dtype=np.intp)
        else:
            positions = self._village_positions_by_county.get(county_code, np.array([], dtype=np.intp))
        if positions.size == 0:
            return None

        ranking_km = self._haversine_km_to(lat, lng, positions)
        cutoff = float(ranking_km.min()) * _RANK_SLACK_FACTOR + _RANK_SLACK_KM
        contenders = positions[ranking_km <= cutoff]
        # Rounded to the millimetre so that float noise cannot break a genuine tie
        # differently on another machine; the lower position is the lower code.
        distance_m, position = min(
            (round(geodesic_m(lat, lng, float(self._village_lat[i]), float(self._village_lng[i])), 3), int(i))
            for i in contenders
        )
        return NearestVillage(str(self._village_code[position]), str(self._village_name[position]),
                              str(self._village_parent[position]), distance_m)

    def locate(self, lat: float, lng: float) -> Located:
        """County by polygon, then the nearest village of that county and its township."""
        county = self.county_at(lat, lng)
        if county is None:
            return Located(county=None, township=None, village=None, distance_m=None)
        village = self.nearest_village(lat, lng, county_code=county.code)
        if village is None:
            return Located(county=(county.code, county.name), township=None, village=None, distance_m=None)
        township = self._townships[village.township_code]
        return Located(
            county=(county.code, county.name),
            township=(township.code, township.name),
            village=(village.code, village.name),
            distance_m=village.distance_m,
        )

    def _haversine_km_to(self, lat: float, lng: float, positions: np.ndarray) -> np.ndarray:
        phi = np.radians(lat)
        lat_rad = self._village_lat_rad[positions]
        dphi = lat_rad - phi
        dlmb = self._village_lng_rad[positions] - np.radians(lng)
        h = np.sin(dphi / 2.0) ** 2 + np.cos(phi) * self._village_cos_lat[positions] * np.sin(dlmb / 2.0) ** 2
        return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
