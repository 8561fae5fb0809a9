"""Limit/offset pages: `{count, items}` as the contract says."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

MAX_LIMIT = 200


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Items per page (1–200).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip.")


def page_of(items: QuerySet | Sequence[Any], pager: PageIn) -> dict[str, Any]:
    """One page and the total. A queryset is counted and sliced in SQL (two queries)."""
    count = items.count() if isinstance(items, QuerySet) else len(items)
    return {"count": count, "items": list(items[pager.offset : pager.offset + pager.limit])}
