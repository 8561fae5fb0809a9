import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CommissionerFactory
from tests.fixtures_problems import make_commissioner
from villages.models import Area

from .factories import VILLAGE


@pytest.fixture
def village(db):
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def commissioner(village):
    """A commissioner who has recorded the location consent."""
    return make_commissioner(village)


@pytest.fixture
def commissioner_without_consent(db):
    return CommissionerFactory()


def training_payload(**overrides):
    data = {
        "client_id": str(uuid.uuid4()),
        "village_code": VILLAGE,
        "topic": "芒果花期管理与病虫害防治",
        "category": "fruit-trees",
        "started_at": timezone.localtime(timezone.now() - timedelta(days=2)).isoformat(),
        "duration_hours": 2.5,
        "headcount": 45,
        "female_count": 20,
        "poverty_household_count": 8,
    }
    data.update(overrides)
    return data


@pytest.fixture
def record(api, commissioner):
    """Record a training as ``commissioner`` through the API; returns the body."""

    def post(**overrides):
        response = api.as_user(commissioner).post("/trainings", training_payload(**overrides))
        assert response.status_code == 201, response.content
        return response.json()

    return post
