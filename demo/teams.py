"""Demo shared service teams (技术服务共享团队) that look like Baise's: commissioners of several counties
around one industry, serving townships together. Named with the demo mark; created once (a second run
finds them and does nothing); made of the demo commissioners (demo/people.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Role, User
from teams.models import Team
from teams.services import team_create

from .activity import MARK
from .people import DEMO_USERS


@dataclass(frozen=True)
class DemoTeam:
    name: str
    industry: str
    county: str
    leader: str  # phones of demo/people.py's commissioners, the leader first among the members
    members: tuple[str, ...]
    areas: tuple[str, ...]


DEMO_TEAMS: tuple[DemoTeam, ...] = (
    # Mango along the Youjiang valley: 右江区 and 田阳区 townships, members from three counties.
    DemoTeam(f"{MARK}芒果技术服务共享团队", "fruit-trees", "451002", "13800000011",
             ("13800000011", "13800000012", "13800000015"),
             ("451002001", "451002101", "451002102", "451003100", "451003101")),
    # Sugarcane in 平果 and 田东.
    DemoTeam(f"{MARK}甘蔗技术服务共享团队", "sugarcane", "451082", "13800000014",
             ("13800000014", "13800000011"), ("451082100", "451082101", "451082102")),
    # Oil-tea and star anise in the north-west hills: 凌云 and 乐业.
    DemoTeam(f"{MARK}油茶八角技术服务共享团队", "oil-tea", "451027", "13800000016",
             ("13800000016", "13800000013"), ("451027100", "451027101", "451026100", "451026101")),
)


@transaction.atomic
def demo_teams_seed() -> int:
    """Create the demo teams that are missing (when their people are there); returns how many were made."""
    if not User.objects.filter(phone=DEMO_USERS[0].phone).exists():
        return 0
    bureau = User.objects.get(phone=next(d.phone for d in DEMO_USERS if d.role == Role.BUREAU))
    existing = set(Team.objects.filter(name__startswith=MARK).values_list("name", flat=True))
    ids = dict(User.objects.filter(phone__in={p for t in DEMO_TEAMS for p in t.members})
               .values_list("phone", "pk"))
    made = 0
    for demo in DEMO_TEAMS:
        if demo.name in existing or not all(p in ids for p in demo.members):
            continue
        team_create(staff=bureau, name=demo.name, industry=demo.industry, leader_id=ids[demo.leader],
                    member_ids=[ids[p] for p in demo.members], service_area_codes=list(demo.areas),
                    county_code=demo.county)
        made += 1
    return made
