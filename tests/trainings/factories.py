"""Trainings as rows, for the tests that read: any time, any village, without going through the service."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tests.factories import CommissionerFactory
from trainings.models import Training

VILLAGE = "451002001001"  # 右江区 百城街道 百胜社区
SAME_TOWNSHIP_VILLAGE = "451002001002"  # 右江区 百城街道 城东社区
OTHER_TOWNSHIP_VILLAGE = "451002002001"  # 右江区 龙景街道 百林社区
OTHER_COUNTY_VILLAGE = "451003100001"  # 田阳区 田州镇 中山社区


class TrainingFactory(DjangoModelFactory):
    class Meta:
        model = Training

    client_id = factory.LazyFunction(uuid.uuid4)
    commissioner = factory.SubFactory(CommissionerFactory)
    village_id = VILLAGE
    category_id = "fruit-trees"
    topic = factory.Sequence(lambda n: f"芒果栽培技术 第{n}期")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    duration_hours = Decimal("2.5")
    headcount = 40
    female_count = factory.LazyAttribute(lambda t: t.headcount * 2 // 5)
    poverty_household_count = factory.LazyAttribute(lambda t: t.headcount // 8)
