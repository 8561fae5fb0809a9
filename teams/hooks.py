"""What teams need to know from the problems app, without importing it.

Problems sit above teams (a claim may be a team's): matching's read model for teams carries each team's
record on problems. The problems app registers the reader in its ``AppConfig.ready()``; without it every
team's record is empty.
"""

from __future__ import annotations

from collections.abc import Callable

# team ids -> {id: (active problems, resolved count, rating sum, rating count)}
TeamRecords = Callable[[list[int]], dict[int, tuple[int, int, int, int]]]

_hooks: dict[str, TeamRecords] = {"team_records": lambda ids: {}}


def register_team_records(reader: TeamRecords) -> None:
    _hooks["team_records"] = reader


def team_records(ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    return _hooks["team_records"](ids)
