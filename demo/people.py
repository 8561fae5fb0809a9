"""Demo people for a first run: one of every role, clearly named as demo accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import ConsentKind, Role, User
from accounts.services import CURRENT_LOCATION_CONSENT_VERSION, consent_record, user_create
from commissioners.services import profile_update
from geo.datums import gcj02_to_wgs84

DEMO_PASSWORD = "baise-demo-2025"


@dataclass(frozen=True)
class DemoUser:
    phone: str
    name: str
    role: str
    area: str
    expertise: tuple[str, ...] = ()
    home_gcj02: tuple[float, float] | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("13800000001", "演示-市科技局", Role.BUREAU, "451000"),
    DemoUser("13800000002", "演示-右江区科技局", Role.COUNTY_STAFF, "451002"),
    DemoUser("13800000003", "演示-田阳区科技局", Role.COUNTY_STAFF, "451003"),
    DemoUser("13800000004", "演示-百城街道", Role.TOWNSHIP_STAFF, "451002001"),
    DemoUser("13800000005", "演示-田州镇", Role.TOWNSHIP_STAFF, "451003100"),
    DemoUser("13800000011", "演示-黄芒果", Role.COMMISSIONER, "451002", ("fruit-trees", "e-commerce"),
             (23.9021, 106.6187)),
    DemoUser("13800000012", "演示-韦畜牧", Role.COMMISSIONER, "451003", ("livestock", "aquaculture"),
             (23.7380, 106.9180)),
    DemoUser("13800000013", "演示-农茶叶", Role.COMMISSIONER, "451026", ("tea", "oil-tea", "forestry"),
             (24.3440, 106.0230)),
    DemoUser("13800000014", "演示-李甘蔗", Role.COMMISSIONER, "451082", ("sugarcane", "farm-machinery"),
             (23.3280, 107.5870)),
    DemoUser("13800000015", "演示-陆桑蚕", Role.COMMISSIONER, "451024", ("mulberry-silkworm", "vegetables"),
             (23.1710, 106.6200)),
    DemoUser("13800000016", "演示-罗药材", Role.COMMISSIONER, "451027", ("tcm-herbs", "forestry"),
             (24.4730, 105.0880)),
)


@transaction.atomic
def demo_users_seed() -> list[DemoUser]:
    """Create the demo users that are missing; returns those created. Never touches existing ones."""
    existing = set(User.objects.filter(phone__in=[d.phone for d in DEMO_USERS]).values_list("phone", flat=True))
    created = []
    for demo in DEMO_USERS:
        if demo.phone in existing:
            continue
        user = user_create(actor=None, phone=demo.phone, password=DEMO_PASSWORD, name=demo.name,
                           role=demo.role, area_code=demo.area, expertise=list(demo.expertise))
        if demo.home_gcj02:
            # The demo commissioners accepted the location consent in the app.
            consent_record(user=user, kind=ConsentKind.LOCATION, version=CURRENT_LOCATION_CONSENT_VERSION)
            profile_update(user=user, home=gcj02_to_wgs84(*demo.home_gcj02))
        created.append(demo)
    return created
