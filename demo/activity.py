"""Believable demo activity over 2021-2025, so the dashboard shows something real-looking on first run.

Everything here is marked as demo: commissioners are named "演示-…", notes and titles carry
"【演示】". Deterministic (seeded), and created once: a second run finds the marker and does nothing.
Rows are written in bulk, bypassing the services (which would take minutes for 10,000 trainings);
the figures they would compute (fences, flags) are set to what the services would say.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Consent, ConsentKind, Role, User
from commissioners.candidates import candidates_refresh
from commissioners.models import Checkin, CommissionerProfile, Dispatch
from core.periods import SHANGHAI
from geo.cells import cell_of
from problems.models import Claim, ClaimStatus, Problem, ProblemEvent, ProblemStatus
from trainings.models import Training
from villages.models import Area, AreaLevel, Category

from .people import DEMO_PASSWORD

MARK = "【演示】"
SURNAMES = "黄韦农李陆罗梁覃蒙莫杨黎岑廖周潘卢谭陈王赵刘"
GIVEN = "志强明华伟芳丽军平勇海燕红英杰文斌宁春秋桂兰国庆建新德"
TOPICS = {
    "fruit-trees": ["果树修剪整形", "果园水肥一体化"],
    "mango": ["芒果瘿蚊防治", "芒果炭疽病防控", "芒果高接换种技术"],
    "citrus": ["柑桔黄龙病防控", "柑橘保花保果"],
    "banana": ["香蕉枯萎病防控", "香蕉组培苗种植"],
    "sugarcane": ["甘蔗良种良法", "甘蔗机械化收获"],
    "mulberry-silkworm": ["桑树栽培管理", "小蚕共育技术"],
    "livestock": ["畜禽粪污资源化利用", "饲草种植与青贮"],
    "pigs": ["生猪非洲猪瘟防控", "母猪繁育技术"],
    "cattle-sheep": ["黄牛养殖技术", "山羊疫病防治"],
    "understory-chickens": ["林下养鸡技术", "鸡新城疫防治"],
    "aquaculture": ["稻渔综合种养", "网箱养鱼管理"],
    "tea": ["茶园管理与采摘", "凌云白毫加工工艺"],
    "oil-tea": ["油茶炭疽病防治", "油茶低产林改造"],
    "vegetables": ["秋冬菜种植", "番茄标准化生产"],
    "forestry": ["林下经济", "杉木速生丰产"],
    "star-anise": ["八角炭疽病防治", "八角低产林改造"],
    "farm-machinery": ["农机安全操作", "微耕机使用维护"],
    "e-commerce": ["农产品电商直播", "网店运营入门"],
    "tcm-herbs": ["中药材种植技术", "三七栽培管理"],
}
# How trainings were given, and how often (集中授课, 现场指导, 科技下乡, 科普).
MODE_WEIGHTS = {"lecture": 45, "field": 35, "countryside": 12, "popular_science": 8}
# Under which programme people were sent, and who sent them (派出单位).
PROGRAMME_WEIGHTS = {"commissioner": 82, "three_regions": 10, "legal_entity": 8}
SENDING_UNITS = {
    "commissioner": ["百色市农业科学研究所", "百色学院", "右江区农业农村局", "田阳区农业技术推广中心"],
    "three_regions": ["广西大学农学院", "广西农业科学院园艺研究所", "广西壮族自治区畜牧研究所"],
    "legal_entity": ["广西田东芒果产业有限公司", "百色国家农业科技园区"],
}
# How the plan's years went, as a share of the five-year targets (a slow start, then speed).
YEAR_SHARE = {2021: 0.14, 2022: 0.18, 2023: 0.21, 2024: 0.23, 2025: 0.16}


@dataclass(frozen=True)
class DemoActivity:
    commissioners: int
    dispatches: int
    trainings: int
    trainees: int
    checkins: int
    problems: int


def demo_activity_exists() -> bool:
    return Dispatch.objects.filter(note__startswith=MARK).exists()


def _day_in(rng: random.Random, year: int, today: date) -> date:
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), today)
    return start + timedelta(days=rng.randrange(max((end - start).days, 1)))


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=SHANGHAI)


def _township_staff(*, password: str) -> dict[str, int]:
    """One staff member per township (the demo's own for the townships that have none)."""
    have = dict(User.objects.filter(role=Role.TOWNSHIP_STAFF).values_list("area_id", "pk"))
    missing = Area.objects.filter(level=AreaLevel.TOWNSHIP).exclude(code__in=have).order_by("code")
    User.objects.bulk_create([
        User(phone=f"13820{i:06d}", name=f"演示-{t.name}", role=Role.TOWNSHIP_STAFF, area=t, password=password)
        for i, t in enumerate(missing)
    ])
    return dict(User.objects.filter(role=Role.TOWNSHIP_STAFF).values_list("area_id", "pk"))


@transaction.atomic
def demo_activity_seed(*, seed: int = 2021, commissioners: int = 120, scale: float = 0.85) -> DemoActivity | None:
    """Create the demo activity once; returns what it made, or None when it is there already."""
    if demo_activity_exists():
        return None
    rng = random.Random(seed)
    today = timezone.localdate()
    villages = list(Area.objects.filter(level=AreaLevel.VILLAGE).values_list("code", "lat", "lng", "county_code"))
    # Fields and the plan's industries alike; a category the bureau added later has no demo topics.
    categories = [c for c in Category.objects.values_list("code", flat=True) if c in TOPICS]
    staff_by_township = _township_staff(password=make_password(DEMO_PASSWORD))
    dispatcher = User.objects.filter(role=Role.BUREAU).first()
    # Villages people actually reach: two in three get service at all, a few get most of it.
    reached = rng.sample(villages, k=len(villages) * 2 // 3)
    weights = [rng.paretovariate(1.5) for _ in reached]

    password = make_password(DEMO_PASSWORD)
    users = []
    for i in range(commissioners):
        county = rng.choice(villages)[3]
        name = f"演示-{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
        users.append(User(phone=f"13810{i:06d}", name=name, role=Role.COMMISSIONER, area_id=county,
                          password=password))
    User.objects.bulk_create(users, batch_size=500)
    users = list(User.objects.filter(phone__in=[u.phone for u in users]).order_by("pk"))
    profiles, consents, expertise_rows = [], [], []
    through = CommissionerProfile.expertise.through
    for user in users:
        _, lat, lng, _ = rng.choice([v for v in villages if v[3] == user.area_id])
        home = (lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.05, 0.05))
        profiles.append(CommissionerProfile(user=user, home_lat=home[0], home_lng=home[1],
                                            home_cell=cell_of(*home), available=rng.random() < 0.85))
        consents.append(Consent(user=user, kind=ConsentKind.LOCATION, version="2025-01"))
        for cat in rng.sample(categories, k=rng.randint(1, 3)):
            expertise_rows.append(through(commissionerprofile_id=user.pk, category_id=cat))
    CommissionerProfile.objects.bulk_create(profiles)
    Consent.objects.bulk_create(consents)
    through.objects.bulk_create(expertise_rows)
    expertise = {}
    for row in expertise_rows:
        expertise.setdefault(row.commissionerprofile_id, []).append(row.category_id)

    dispatches, seen = [], set()
    for year, share in YEAR_SHARE.items():
        if date(year, 1, 1) > today:
            continue
        for _ in range(int(2000 * share * scale)):
            user = rng.choice(users)
            village = rng.choices(reached, weights)[0]
            starts = _day_in(rng, year, today)
            if (user.pk, village[0], starts) in seen:
                continue
            seen.add((user.pk, village[0], starts))
            programme = rng.choices(list(PROGRAMME_WEIGHTS), list(PROGRAMME_WEIGHTS.values()))[0]
            dispatches.append(Dispatch(commissioner=user, village_id=village[0], starts_on=starts,
                                       ends_on=starts + timedelta(days=rng.choice([30, 90, 180, 365])),
                                       dispatched_by=dispatcher, note=f"{MARK}年度选派", programme=programme,
                                       sending_unit=rng.choice(SENDING_UNITS[programme])))
    Dispatch.objects.bulk_create(dispatches, batch_size=1000)

    trainings, checkins = [], []
    for year, share in YEAR_SHARE.items():
        if date(year, 1, 1) > today:
            continue
        people_left = int(600_000 * share * scale)
        while people_left > 0:
            user = rng.choice(users)
            village = rng.choices(reached, weights)[0]
            category = rng.choice(expertise.get(user.pk) or categories)
            headcount = min(people_left, max(5, int(rng.gauss(55, 25))))
            people_left -= headcount
            started = _at(_day_in(rng, year, today), rng)
            trainings.append(Training(
                client_id=uuid.uuid4(), commissioner=user, village_id=village[0], category_id=category,
                topic=f"{MARK}{rng.choice(TOPICS[category])}", started_at=started,
                duration_hours=rng.choice([1.5, 2, 2.5, 3, 4]), headcount=headcount,
                female_count=int(headcount * rng.uniform(0.3, 0.6)),
                poverty_household_count=int(headcount * rng.uniform(0.05, 0.3)),
                mode=rng.choices(list(MODE_WEIGHTS), list(MODE_WEIGHTS.values()))[0],
                # Three sessions in four counted their households; a household sends one to three people.
                households=int(headcount / rng.uniform(1, 3)) if rng.random() < 0.75 else None,
                lat=village[1], lng=village[2],
            ))
            # The visit itself: a verified check-in; one in twelve lands outside the fence.
            far = rng.random() < 1 / 12
            lat = village[1] + (rng.uniform(0.05, 0.1) if far else rng.uniform(-0.005, 0.005))
            checkins.append(Checkin(
                client_id=uuid.uuid4(), commissioner=user, village_id=village[0], lat=lat, lng=village[2],
                accuracy_m=rng.choice([8, 12, 25, 40]), occurred_at=started - timedelta(minutes=20),
                note=MARK, distance_m=round(rng.uniform(2500, 8000), 1) if far else 0.0,
                flags=["outside_fence"] if far else [], flag_details={}, verified=not far,
            ))
    Training.objects.bulk_create(trainings, batch_size=1000)
    Checkin.objects.bulk_create(checkins, batch_size=1000)

    problems = 0
    for _ in range(int(700 * scale)):
        village = rng.choice(villages)
        staff = staff_by_township.get(village[0][:9])
        if staff is None:
            continue
        category = rng.choice(categories)
        created = timezone.now() - timedelta(days=rng.randrange(5, 1500))
        status = rng.choices([ProblemStatus.CLOSED, ProblemStatus.RESOLVED, ProblemStatus.IN_PROGRESS,
                              ProblemStatus.OPEN, ProblemStatus.WITHDRAWN], [55, 10, 12, 18, 5])[0]
        problem = Problem.objects.create(
            client_id=uuid.uuid4(), posted_by_id=staff, village_id=village[0], category_id=category,
            title=f"{MARK}{rng.choice(TOPICS[category])}难题", description=f"{MARK}村民反映的技术问题。",
            urgency=rng.choice(["low", "normal", "normal", "high"]), lat=village[1], lng=village[2],
            cell=cell_of(village[1], village[2]), status=status, created_at=created,
            resolved_at=(resolved := created + timedelta(days=rng.randrange(3, 40)))
            if status in (ProblemStatus.RESOLVED, ProblemStatus.CLOSED) else None,
            closed_at=resolved + timedelta(days=3) if status == ProblemStatus.CLOSED else None,
            rating=rng.choice([3, 4, 4, 5, 5, 5]) if status == ProblemStatus.CLOSED else None,
            resolution_summary=f"{MARK}已现场指导" if status in (ProblemStatus.RESOLVED, ProblemStatus.CLOSED) else "",
        )
        ProblemEvent.objects.create(problem=problem, kind="posted", actor_id=staff, to_status="open", at=created)
        if status in (ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED, ProblemStatus.CLOSED):
            Claim.objects.create(problem=problem, commissioner=rng.choice(users), status=ClaimStatus.ACCEPTED,
                                 message=MARK, created_at=created + timedelta(days=1),
                                 decided_at=created + timedelta(days=2))
        problems += 1
    # Written in bulk, not through the services: bring matching's read model up to date once.
    candidates_refresh([u.pk for u in users])
    return DemoActivity(len(users), len(dispatches), len(trainings), sum(t.headcount for t in trainings),
                        len(checkins), problems)
