"""Production setup (`manage.py import_divisions`): Baise's areas and the categories, then what the apps
above villages load on them (stats: the plan's targets and their baselines). Those apps register their
step in `AppConfig.ready()`: villages imports none of them (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable

# A step loads its rows idempotently and answers how many it created.
SetupStep = Callable[[], int]
_STEPS: dict[str, SetupStep] = {}


def register_setup_step(name: str, step: SetupStep) -> None:
    _STEPS[name] = step


def setup_steps() -> list[tuple[str, SetupStep]]:
    """The registered steps, in the order their apps are installed."""
    return list(_STEPS.items())
