"""Areas and categories as the apps below villages read them: the `areas` and `categories` hooks of
`accounts.hooks`, registered in `VillagesConfig.ready()` (accounts imports no domain app)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Area, Category


def areas_by_code(codes: Iterable[str]) -> dict[str, Area]:
    """The areas with these codes, without their boundaries, in one query."""
    return {a.code: a for a in Area.objects.defer("geometry").filter(code__in=set(codes))}


def categories_listed() -> list[tuple[str, str, str]]:
    """Every category as (code, name, English name or "")."""
    return [(code, name, name_en or "") for code, name, name_en in
            Category.objects.values_list("code", "name", "name_en")]
