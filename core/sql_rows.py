"""Rows of fixed SQL turned into what the ORM would have given.

A few queries run on every request of a hot path (the user behind a token, a check-in's village and
neighbours). Built through the ORM each time, their SQL cost more CPU than the database spent running
them (bench/checkin_load): those are written once as SQL, prepared by PostgreSQL, and their rows go
through the converters the ORM's compiler would have applied (SQLite's datetimes and UUIDs, JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model


class RowReader:
    """Reads rows of some of ``model``'s columns: named in ``only``, or every concrete one but ``leave_out``
    (left deferred on the instances, loaded if ever read)."""

    def __init__(self, model: type[Model], *, only: Sequence[str] = (), leave_out: frozenset[str] = frozenset()):
        self.model = model
        self._only = tuple(only)
        self._leave_out = leave_out
        self._converters: dict[str, list[tuple[int, list[Callable], Any]]] = {}

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        if self._only:
            return tuple(self.model._meta.get_field(name) for name in self._only)
        return tuple(f for f in self.model._meta.concrete_fields if f.name not in self._leave_out)

    @cached_property
    def _attnames(self) -> list[str]:
        return [f.attname for f in self.fields]

    def columns(self, alias: str) -> str:
        """The columns (as ``alias.column``) in the order `values` and `instance` read them."""
        qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
        return ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)

    def values(self, row: Sequence[Any]) -> list[Any]:
        """``row`` as the ORM would have read those columns."""
        conn = connections[DEFAULT_DB_ALIAS]
        converters = self._converters.get(conn.alias)
        if converters is None:
            converters = self._converters[conn.alias] = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                funcs = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
                if funcs:
                    converters.append((i, funcs, col))
        out = list(row)
        for i, funcs, col in converters:
            for convert in funcs:
                out[i] = convert(out[i], col, conn)
        return out

    def instance(self, row: Sequence[Any]) -> Model:
        """A saved ``model`` from a row of `columns`, as a queryset would have loaded it (the columns in the
        model's order: a reader without ``only``)."""
        return self.model.from_db(DEFAULT_DB_ALIAS, self._attnames, self.values(row))
