"""Area scoping, in one place.

Every endpoint that shows or changes something tied to an area asks this module, and nothing
else re-implements the rule:

| role            | scope                                                     |
| --------------- | --------------------------------------------------------- |
| bureau          | the whole city (every area whose code starts with the city's first four digits) |
| county_staff    | their county                                              |
| township_staff  | their township                                            |
| commissioner    | no area: only their own records (callers add "own" filters) |

Codes are the national statistical division codes, so containment is a property of the code
itself; `Area.county_code` / `Area.township_code` make it an indexed equality in SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, OutsideScope

from .models import Role

if TYPE_CHECKING:
    from villages.models import Area

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
