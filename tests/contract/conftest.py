"""The people and records both contract tests call the API with.

Seven callers: nobody, a commissioner, and each staff role inside and outside the area of the one
village every record lives in (451002001001, 右江区 百城街道). Records are made on first use, through
the services, so a test pays only for the rows its paths name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import ConsentKind
from accounts.services import consent_record
from tests.factories import PASSWORD, BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from tests.media.images import jpeg_bytes, upload

VILLAGE = "451002001001"  # 百城街道's first village, 右江区

CALLERS = (
    "anonymous",
    "commissioner",
    "township_in",
    "township_out",
    "county_in",
    "county_out",
    "bureau",
)
# The four roles, each as the one inside the village's area (the fuzzer's callers).
ROLES = ("commissioner", "township_in", "county_in", "bureau")


def make_people() -> dict[str, Any]:
    from commissioners.services import profile_update
    from villages.models import Area

    village = Area.objects.get(code=VILLAGE)
    commissioner = CommissionerFactory(name="特派员")
    consent_record(user=commissioner, kind=ConsentKind.LOCATION, version="2025-01")
    profile_update(user=commissioner, expertise=["fruit-trees"], home=(village.lat + 0.01, village.lng),
                   available=True)
    return {
        "anonymous": None,
        "commissioner": commissioner,
        "township_in": TownshipStaffFactory(area_id="451002001"),
        "township_out": TownshipStaffFactory(area_id="451003100"),
        "county_in": CountyStaffFactory(area_id="451002"),
        "county_out": CountyStaffFactory(area_id="451003"),
        "bureau": BureauFactory(),
    }


class World:
    """Records by name, each made the first time a test asks for it."""

    def __init__(self, people: dict[str, Any]) -> None:
        self.people = people
        self._made: dict[str, Any] = {}
        self._builders: dict[str, Callable[[], Any]] = {
            "problem_open": self._problem_open,
            "claim": self._claim,
            "problem_in_progress": self._problem_in_progress,
            # made with problem_in_progress: its claim, accepted
            "accepted_claim": lambda: self.get("problem_in_progress") and self._made["accepted_claim"],
            "problem_resolved": self._problem_resolved,
            # the open problem, once the commissioner has claimed it (a party to its conversation)
            "problem_claimed": lambda: self.get("claim") and self.get("problem_open"),
            "problem_closed": self._problem_closed,
            "checkin": self._checkin,
            "training": self._training,
            "photo": self._photo,
            "notification": self._notification,
            "dispatch": self._dispatch,
            "team": self._team,
            "refresh": self._refresh,
            "target_code": self._target_code,
            "commissioner_id": lambda: self.people["commissioner"].pk,
            # a commissioner registered in the township (inside 451002): the person user management acts on
            "person": self._person,
            # the commissioner, once dispatched into the village (so every staff in its area may list them)
            "commissioner_dispatched": lambda: self.get("dispatch") and self.people["commissioner"].pk,
        }

    def get(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._builders[name]()
        return self._made[name]

    def id(self, name: str) -> int:
        value = self.get(name)
        return value if isinstance(value, int | str) else value.pk

    def ids(self, names: dict[str, str]) -> dict[str, int]:
        return {param: self.id(record) for param, record in names.items()}

    # -- builders ---------------------------------------------------------------------------

    def _person(self):
        return CommissionerFactory(name="被管理人", area_id="451002001")

    def _post_problem(self, title: str):
        from problems.services import problem_post
        from villages.selectors import village_get

        return problem_post(
            staff=self.people["township_in"], client_id=uuid.uuid4(), village=village_get(VILLAGE),
            category_code="fruit-trees", title=title, description="果园大面积出现黑斑，落果严重。",
            urgency="high",
        ).problem

    def _problem_open(self):
        return self._post_problem("芒果炭疽病")

    def _claim(self):
        from problems.claims import claim_create

        return claim_create(commissioner=self.people["commissioner"], problem=self.get("problem_open"),
                            message="我来看看")

    def _problem_in_progress(self):
        from problems.claims import claim_accept, claim_create

        problem = self._post_problem("甘蔗螟虫")
        claim = claim_create(commissioner=self.people["commissioner"], problem=problem)
        self._made["accepted_claim"] = claim
        return claim_accept(staff=self.people["township_in"], problem=problem, claim_id=claim.pk)

    def _problem_resolved(self):
        from problems.claims import claim_accept, claim_create, problem_resolve

        problem = self._post_problem("桑蚕病")
        claim = claim_create(commissioner=self.people["commissioner"], problem=problem)
        problem = claim_accept(staff=self.people["township_in"], problem=problem, claim_id=claim.pk)
        return problem_resolve(commissioner=self.people["commissioner"], problem=problem, summary="已喷药防治")

    def _problem_closed(self):
        from problems.services import problem_confirm

        return problem_confirm(staff=self.people["township_in"], problem=self._problem_resolved(), rating=5)

    def _checkin(self):
        from commissioners.checkins import checkin_record
        from villages.selectors import village_get

        village = village_get(VILLAGE)
        return checkin_record(
            commissioner=self.people["commissioner"], client_id=uuid.uuid4(), village=village,
            position=(village.lat, village.lng), occurred_at=timezone.now() - timedelta(hours=1), accuracy_m=10,
        ).checkin

    def _training(self):
        from trainings.services import training_record
        from villages.selectors import village_get

        return training_record(
            commissioner=self.people["commissioner"], client_id=uuid.uuid4(), village=village_get(VILLAGE),
            category_code="fruit-trees", topic="芒果花期管理", started_at=timezone.now() - timedelta(days=1),
            duration_hours=2, headcount=40,
        ).training

    def _photo(self):
        """A photo of the open problem, by the staff who posted it."""
        from media.models import PhotoOwner
        from media.services import photo_attach

        photo, _ = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=self.id("problem_open"),
                                uploaded_by=self.people["township_in"], upload=upload(jpeg_bytes((64, 48))))
        return photo

    def _dispatch(self):
        """The commissioner dispatched to the village by the county's staff."""
        from commissioners.checkins import dispatch_create
        from villages.selectors import village_get

        return dispatch_create(staff=self.people["county_in"], commissioner=self.people["commissioner"],
                               village=village_get(VILLAGE), starts_on=timezone.localdate())

    def _team(self):
        """右江区's team serving 百城街道, the commissioner its leader."""
        from teams.services import team_create

        commissioner = self.people["commissioner"]
        return team_create(staff=self.people["county_in"], name="芒果技术服务共享团队", industry="fruit-trees",
                           leader_id=commissioner.pk, member_ids=[commissioner.pk],
                           service_area_codes=["451002001"]).team

    def _target_code(self) -> str:
        """The plan's dispatch target (path parameters name a target by its code)."""
        from stats.services import targets_seed

        targets_seed()
        return "commissioner_dispatches"

    def _refresh(self) -> str:
        """A live refresh token of the commissioner's."""
        from accounts.services import token_obtain

        return token_obtain(phone=self.people["commissioner"].phone, password=PASSWORD).refresh

    def _notification(self):
        """One in the commissioner's inbox."""
        from notifications.services import notify

        (row,) = notify(recipients=[self.people["commissioner"]], type="claim.accepted",
                        payload={"problem_id": 1, "claim_id": 1})
        return row


@pytest.fixture
def contract_env(baise, settings, tmp_path):
    """An empty cache (rate-limit counters), photos under a temporary MEDIA_ROOT."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def people(contract_env) -> dict[str, Any]:
    return make_people()


@pytest.fixture
def world(people) -> World:
    return World(people)




def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """How much the contract fuzzer ran: examples per role (and, with -v, statuses per operation)."""
    import sys

    fuzz = sys.modules.get("tests.contract.test_schemathesis")
    if fuzz is None or not fuzz.EXAMPLES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("contract fuzzing")
    fuzzed = sum(1 for counts in fuzz.STATUSES.values() if counts)
    write(f"operations fuzzed: {fuzzed} of {len(fuzz.OPERATIONS)}")
    for role in ROLES:
        write(f"examples as {role}: {fuzz.EXAMPLES[role]}")
    write(f"examples in all: {sum(fuzz.EXAMPLES.values())}")
    if config.option.verbose > 0:
        for label, counts in sorted(fuzz.STATUSES.items()):
            write(f"  {label}: " + ", ".join(f"{code}×{n}" for code, n in sorted(counts.items())))
