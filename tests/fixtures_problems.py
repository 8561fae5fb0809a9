import uuid

import pytest

from accounts.models import ConsentKind
from accounts.services import consent_record
from commissioners.services import profile_update
from tests.factories import CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from villages.models import Area

VILLAGE = "451002001001"  # 百城街道's first village, 右江区


@pytest.fixture
def village():
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def staff():
    return TownshipStaffFactory()


@pytest.fixture
def county_staff():
    return CountyStaffFactory()


def make_commissioner(village: Area, *, expertise=("fruit-trees",), km_north: float = 1.0, available=True):
    user = CommissionerFactory()
    consent_record(user=user, kind=ConsentKind.LOCATION, version="2025-01")
    profile_update(user=user, expertise=list(expertise), home=(village.lat + km_north / 111.2, village.lng),
                   available=available)
    return user


@pytest.fixture
def commissioner(village):
    return make_commissioner(village)


def problem_payload(**overrides):
    data = {
        "client_id": str(uuid.uuid4()),
        "title": "芒果炭疽病",
        "description": "果园大面积出现黑斑，落果严重。",
        "category": "fruit-trees",
        "village_code": VILLAGE,
        "urgency": "high",
    }
    data.update(overrides)
    return data


@pytest.fixture
def post_problem(api, staff, django_capture_on_commit_callbacks):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.as_user(staff).post("/problems", problem_payload(**overrides))
        assert response.status_code == 201, response.content
        return response.json()

    return post
