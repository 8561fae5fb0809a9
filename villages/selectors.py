"""Reads for areas and categories."""

from __future__ import annotations

from django.db.models import QuerySet

from core.errors import NotFound

from .models import Area, Category


def areas_list(*, level: str | None = None, parent: str | None = None) -> QuerySet[Area]:
    qs = Area.objects.defer("geometry").order_by("code")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def area_get(code: str, *, with_geometry: bool = False) -> Area:
    qs = Area.objects.all() if with_geometry else Area.objects.defer("geometry")
    area = qs.filter(code=code).first()
    if area is None:
        raise NotFound(f"No area with code {code}.", code="area_not_found")
    return area


def village_get(code: str) -> Area:
    area = Area.objects.defer("geometry").filter(code=code, level="village").first()
    if area is None:
        raise NotFound(f"No village with code {code}.", code="village_not_found")
    return area


def categories_list() -> QuerySet[Category]:
    return Category.objects.all()
