"""What the apps above villages want to hear about areas and categories, without villages importing them.

A village's surveyed position changed: commissioners judge that village's check-ins again against it.
The industries under a field changed: commissioners recompute matching's read model for that field's experts.
The app that cares registers its callback in its ``AppConfig.ready()``; villages calls every callback
for each moved village, inside the transaction that moved it (a callback queues its work on commit).
"""

from __future__ import annotations

from collections.abc import Callable

VillageMoved = Callable[[str], None]
_village_moved: list[VillageMoved] = []


def register_village_moved(callback: VillageMoved) -> None:
    if callback not in _village_moved:
        _village_moved.append(callback)


def village_moved(village_code: str) -> None:
    for callback in _village_moved:
        callback(village_code)


# The industries under some fields changed (one added under a field, moved, or removed): an expertise in
# such a field covers a different set of categories now. Called with the fields' codes, inside the
# transaction that changed them.
FieldsChanged = Callable[[list[str]], None]
_fields_changed: list[FieldsChanged] = []


def register_fields_changed(callback: FieldsChanged) -> None:
    if callback not in _fields_changed:
        _fields_changed.append(callback)


def fields_changed(codes: list[str]) -> None:
    codes = sorted({c for c in codes if c})
    if not codes:
        return
    for callback in _fields_changed:
        callback(codes)
