"""What accounts asks of the apps above it: hooks they register in `AppConfig.ready()`.

accounts is the base the domain apps stand on (docs/architecture.md): it imports none of them, and
`lint-imports` holds that. Where one of its rules needs their records (an area by its code, a
commissioner's profile, who works in a township, what retention sweeps, the websockets to close), the
app that owns those records registers a function here, as apps register photo access in media/access.py.

| hook                   | asked by                         | registered by                       |
| ---------------------- | -------------------------------- | ----------------------------------- |
| areas                  | user create/update, roster, list | villages (areas by code)            |
| categories             | roster (expertise column, sheet) | villages (the category list)        |
| expertise_of           | roster (what changed)            | commissioners (profile expertise)   |
| profile_of             | /me, a created person's answer   | commissioners (expertise, home)     |
| people_created/changed | user create/update, roster       | commissioners (profile, matching)   |
| dispatched_into        | scoping (county and township)    | commissioners (active dispatches)   |
| working_in             | scoping (township)               | commissioners, problems             |
| retention              | the nightly retention sweep      | media (EXIF), commissioners (tracks)|
| sessions_ended         | user_sessions_end, on commit     | notifications (close websockets)    |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import User


class AreaRef(Protocol):
    """What accounts reads of an area (villages.Area): codes are national division codes, so a code
    holds its county's and township's."""

    code: str
    name: str
    level: str
    county_code: str
    township_code: str


@dataclass(frozen=True)
class PersonWrite:
    """A person accounts created or changed, with the expertise to give them: None leaves it as it is."""

    user: User
    expertise: list[str] | None = None


AreasByCode = Callable[[Iterable[str]], dict[str, AreaRef]]
Categories = Callable[[], list[tuple[str, str, str]]]
ExpertiseOf = Callable[[list[int]], dict[int, list[str]]]
ProfileOf = Callable[["User", str], dict[str, Any]]
PeopleWritten = Callable[[Sequence[PersonWrite]], None]
# User ids (a `.values(...)` subquery or a collection) tied to an area by the registering app's records.
PeopleIn = Callable[[AreaRef], Any]
RetentionSweep = Callable[[datetime], int]
SessionsEnded = Callable[[int, int], None]


@dataclass
class _Registry:
    areas: AreasByCode | None = None
    categories: Categories | None = None
    expertise_of: ExpertiseOf | None = None
    profile_of: list[ProfileOf] = field(default_factory=list)
    people_created: list[PeopleWritten] = field(default_factory=list)
    people_changed: list[PeopleWritten] = field(default_factory=list)
    dispatched_into: list[PeopleIn] = field(default_factory=list)
    working_in: list[PeopleIn] = field(default_factory=list)
    retention: dict[str, RetentionSweep] = field(default_factory=dict)
    sessions_ended: list[SessionsEnded] = field(default_factory=list)


_hooks = _Registry()


def _registered(hook: Callable | None, name: str) -> Callable:
    if hook is None:
        raise RuntimeError(f"accounts.hooks: no {name} registered (is its app installed?)")
    return hook


def _add(hooks: list, hook: Callable) -> None:
    if hook not in hooks:  # once, however often an app's ready() runs
        hooks.append(hook)


# Registration, from the owning apps' AppConfig.ready().

def register_areas(lookup: AreasByCode) -> None:
    _hooks.areas = lookup


def register_categories(listing: Categories) -> None:
    _hooks.categories = listing


def register_expertise_of(reader: ExpertiseOf) -> None:
    _hooks.expertise_of = reader


def register_profile_of(reader: ProfileOf) -> None:
    _add(_hooks.profile_of, reader)


def register_people_created(hook: PeopleWritten) -> None:
    _add(_hooks.people_created, hook)


def register_people_changed(hook: PeopleWritten) -> None:
    _add(_hooks.people_changed, hook)


def register_dispatched_into(people: PeopleIn) -> None:
    _add(_hooks.dispatched_into, people)


def register_working_in(people: PeopleIn) -> None:
    _add(_hooks.working_in, people)


def register_retention(name: str, sweep: RetentionSweep) -> None:
    _hooks.retention[name] = sweep


def register_sessions_ended(hook: SessionsEnded) -> None:
    _add(_hooks.sessions_ended, hook)


# Use, from accounts.

def areas_by_code(codes: Iterable[str]) -> dict[str, AreaRef]:
    """The areas with these codes (unknown codes are missing from the answer), in one query."""
    return _registered(_hooks.areas, "area lookup")(codes)


def categories() -> list[tuple[str, str, str]]:
    """Every category a commissioner's expertise may name: (code, name, English name or "")."""
    return _registered(_hooks.categories, "category list")()


def expertise_of(user_ids: list[int]) -> dict[int, list[str]]:
    """The category codes of these commissioners' expertise (people without any are missing)."""
    return _registered(_hooks.expertise_of, "expertise reader")(user_ids)


def profile_of(user: User, crs: str) -> dict[str, Any]:
    """What the apps keep of ``user`` as their own `/me` shows it (a commissioner: expertise, home,
    availability, positions in ``crs``); empty for people they keep nothing of."""
    found: dict[str, Any] = {}
    for reader in _hooks.profile_of:
        found.update(reader(user, crs))
    return found


def people_created(people: Sequence[PersonWrite]) -> None:
    """Inside the transaction that created them: the owning apps add their records (a profile)."""
    for hook in _hooks.people_created:
        hook(people)


def people_changed(people: Sequence[PersonWrite]) -> None:
    """Inside the transaction that changed them (name, area, whether they may log in, expertise)."""
    for hook in _hooks.people_changed:
        hook(people)


def dispatched_into(area: AreaRef) -> list[Any]:
    return [people(area) for people in _hooks.dispatched_into]


def working_in(area: AreaRef) -> list[Any]:
    return [people(area) for people in _hooks.working_in]


def retention_sweep(now: datetime) -> dict[str, int]:
    """Run every registered sweep; how many rows each erased or coarsened, by name."""
    return {name: sweep(now) for name, sweep in sorted(_hooks.retention.items())}


def sessions_ended(user_id: int, session_version: int) -> None:
    for hook in _hooks.sessions_ended:
        hook(user_id, session_version)
