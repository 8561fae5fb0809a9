"""What the apps above villages want to hear about areas, without villages importing them.

A village's surveyed position changed: commissioners judge that village's check-ins again against it.
The app that cares registers its callback in its ``AppConfig.ready()``; villages calls every callback
for each moved village, inside the transaction that moved it (a callback queues its work on commit).

Production setup (`manage.py import_divisions`) loads Baise's areas and the categories, then what the
apps above load on them: stats registers the plan's targets and their baselines as a setup step.
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


# A setup step loads its rows idempotently and answers how many it created.
SetupStep = Callable[[], int]
_setup_steps: dict[str, SetupStep] = {}


def register_setup_step(name: str, step: SetupStep) -> None:
    _setup_steps[name] = step


def setup_steps() -> list[tuple[str, SetupStep]]:
    """The registered steps, in the order their apps are installed."""
    return list(_setup_steps.items())
