"""Area scoping, in one place.

Every endpoint that shows or changes something tied to an area asks this module, and nothing
else re-implements the rule:

| role            | scope                                                     |
| --------------- | --------------------------------------------------------- |
| bureau          | the whole city (every area whose code starts with the city's first four digits) |
| county_staff    | their county                                              |
| township_staff  | their township                                            |
| commissioner    | no area: only their own records (callers add "own" filters) |

People are not areas: which commissioners a staff member may list, and whose phone number they see
whole, is decided here too (`commissioners_q`, `whole_phone_q`); see docs/security.md.

| role            | commissioners listed (`GET /commissioners`)                              |
| --------------- | ------------------------------------------------------------------------ |
| bureau          | all                                                                      |
| county_staff    | registered in their county, or dispatched into it (an active dispatch)   |
| township_staff  | registered in their township, working in it (an active dispatch into one |
|                 | of its villages, a live claim on one of its problems, or a check-in in    |
|                 | one of its villages in the last WORKING_RECENT_DAYS), or matchable for    |
|                 | one of its open problems (the candidates matching ranks for it)           |

Codes are the national statistical division codes, so containment is a property of the code
itself; `Area.county_code` / `Area.township_code` make it an indexed equality in SQL.

Dispatches, check-ins and claims are kept by the apps above this one: they tell who is dispatched
into or working in an area through hooks they register (`accounts.hooks`), and this module composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, OutsideScope

from . import hooks
from .hooks import AreaRef as Area
from .models import Role

if TYPE_CHECKING:
    from .models import User

STAFF_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF, Role.BUREAU)

# The level of area each role is bound to. Commissioners may live anywhere.
ROLE_AREA_LEVEL = {
    Role.BUREAU: "city",
    Role.COUNTY_STAFF: "county",
    Role.TOWNSHIP_STAFF: "township",
}


def area_contains(outer: Area, inner: Area) -> bool:
    """Whether ``inner`` is ``outer`` or lies inside it."""
    if outer.level == "city":
        return inner.code[:4] == outer.code[:4]
    if outer.level == "county":
        return inner.county_code == outer.code
    if outer.level == "township":
        return inner.township_code == outer.code
    return inner.code == outer.code


def area_q(outer: Area, path: str = "") -> Q:
    """A filter for rows whose area (reached by ``path``, e.g. ``"village"``) lies inside ``outer``."""
    prefix = f"{path}__" if path else ""
    if outer.level == "city":
        return Q(**{f"{prefix}code__startswith": outer.code[:4]})
    if outer.level == "county":
        return Q(**{f"{prefix}county_code": outer.code})
    if outer.level == "township":
        return Q(**{f"{prefix}township_code": outer.code})
    return Q(**{f"{prefix}code": outer.code})


def is_staff_role(user: User) -> bool:
    return user.role in STAFF_ROLES


def area_in_scope(user: User, area: Area) -> bool:
    """May ``user`` see and manage records of ``area``? Commissioners manage no area."""
    if not is_staff_role(user):
        return False
    return area_contains(user.area, area)


def ensure_area_in_scope(user: User, area: Area) -> None:
    if not is_staff_role(user):
        raise Forbidden(_("Only township, county and bureau staff manage an area."))
    if not area_contains(user.area, area):
        raise OutsideScope(_("%(name)s (%(code)s) is outside your area.") % {"name": area.name, "code": area.code})


def ensure_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden(_("This needs one of the roles: %(roles)s.") % {"roles": ", ".join(roles)})


def scope_q(user: User, path: str) -> Q:
    """Rows tied to an area (through ``path``) that ``user`` may see by area. Empty for commissioners:
    callers combine it with an "own records" filter where the contract gives them one."""
    if not is_staff_role(user):
        return Q(pk__in=[])
    return area_q(user.area, path)


def may_create_user(actor: User, role: str, area: Area) -> bool:
    """County staff create users inside their county (not bureau users); the bureau anywhere."""
    if actor.role == Role.BUREAU:
        return area_contains(actor.area, area)
    if actor.role == Role.COUNTY_STAFF:
        return role != Role.BUREAU and area_contains(actor.area, area)
    return False


# "Working in a township" looks back this far for check-ins (the `working_in` hook commissioners
# registers): the same window as matching's "recent service" (settings.MATCHING["recent_days"]), so a
# commissioner who served there lately stays reachable by its staff, and one who came once years ago does not.
WORKING_RECENT_DAYS = 180


def _people_q(key: str, ids: Any) -> Q:
    # A set (computed in Python) is sorted, so the same people make the same SQL.
    return Q(**{key: sorted(ids) if isinstance(ids, set | frozenset) else ids})


def dispatched_into_q(area: Area, path: str = "") -> Q:
    """People (reached by ``path``, e.g. ``"user"``) with an active dispatch into a village of ``area``:
    started on or before today and not ended before it (the `dispatched_into` hook)."""
    key = f"{path}{'__' if path else ''}pk__in"
    found = Q(**{key: []})
    for ids in hooks.dispatched_into(area):
        found |= _people_q(key, ids)
    return found


def _working_in_q(area: Area, path: str) -> Q:
    """People dispatched into ``area``, with a live claim on one of its problems, a recent check-in there,
    or matchable for one of its open problems (the `working_in` hooks)."""
    key = f"{path}{'__' if path else ''}pk__in"
    found = dispatched_into_q(area, path)
    for ids in hooks.working_in(area):
        found |= _people_q(key, ids)
    return found


def commissioners_q(viewer: User, path: str = "") -> Q:
    """The commissioners (users, reached by ``path``) that ``viewer`` may list: the table above.
    Commissioners list no one but themselves. At most two queries to build (township staff: the open
    problems' candidates); the rest are subqueries of the caller's one query."""
    prefix = f"{path}__" if path else ""
    if viewer.role == Role.BUREAU:
        return Q()
    if viewer.role == Role.COUNTY_STAFF:
        return area_q(viewer.area, f"{prefix}area") | dispatched_into_q(viewer.area, path)
    if viewer.role == Role.TOWNSHIP_STAFF:
        return area_q(viewer.area, f"{prefix}area") | _working_in_q(viewer.area, path)
    return Q(**{f"{prefix}pk": viewer.pk})


def whole_phone_q(viewer: User, path: str = "") -> Q | None:
    """Whose phone number ``viewer`` sees whole, beyond their own: the bureau everyone's; county staff
    the people of their county and those dispatched into it (contract v1.1). None: no one else's."""
    prefix = f"{path}__" if path else ""
    if viewer.role == Role.BUREAU:
        return Q()
    if viewer.role == Role.COUNTY_STAFF:
        return area_q(viewer.area, f"{prefix}area") | dispatched_into_q(viewer.area, path)
    return None
