"""What the apps above villages want to hear about areas, without villages importing them.

A village's surveyed position changed: commissioners judge that village's check-ins again against it.
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

