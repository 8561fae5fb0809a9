"""Rows of fixed SQL turned into what the ORM would have given.

A few queries run on every request of a hot path (the user behind a token, a check-in's village and
neighbours). Built through the ORM each time, their SQL cost more CPU than the database spent running
them (bench/checkin_load): those are written once as SQL, prepared by PostgreSQL, and their rows go
through the converters the ORM's compiler would have applied (SQLite's datetimes and UUIDs, JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

_CONVERTERS: dict[tuple[str, Field], list[Callable]] = {}


def _converters(field: Field) -> list[Callable]:
    key = (connection.alias, field)
    found = _CONVERTERS.get(key)
    if found is None:
        col = field.get_col(field.model._meta.db_table)
        found = _CONVERTERS[key] = [
            lambda value, f=f, col=col: f(value, col, connection)
            for f in connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        ]
    return found


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model`` (as ``alias.column``), in the order `instance` reads them."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)


def values(fields: Sequence[Field], row: Sequence[Any]) -> list[Any]:
    """``row`` (one value per field, in order) as the ORM would have read those fields."""
    out = list(row)
    for i, field in enumerate(fields):
        for convert in _converters(field):
            out[i] = convert(out[i])
    return out


def instance(model: type[Model], row: Sequence[Any]) -> Model:
    """A saved ``model`` from a row of its `columns`, as a queryset would have loaded it."""
    fields = model._meta.concrete_fields
    return model.from_db(connection.alias, [f.attname for f in fields], values(fields, row))
