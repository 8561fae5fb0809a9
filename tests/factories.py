"""factory_boy factories. Users live in the real Baise areas the test database holds."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from commissioners.candidates import candidates_refresh
from commissioners.models import CommissionerProfile

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.COMMISSIONER
    area_id = "451002"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class BureauFactory(UserFactory):
    role = Role.BUREAU
    area_id = "451000"


class CountyStaffFactory(UserFactory):
    role = Role.COUNTY_STAFF
    area_id = "451002"  # 右江区


class TownshipStaffFactory(UserFactory):
    role = Role.TOWNSHIP_STAFF
    area_id = "451002001"  # 右江区 百城街道


class CommissionerFactory(UserFactory):
    role = Role.COMMISSIONER

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create:
            CommissionerProfile.objects.create(user=self, **kwargs)
            candidates_refresh([self.pk])
