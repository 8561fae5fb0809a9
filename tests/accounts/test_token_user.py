"""The user every authenticated request loads: one query, the same objects the ORM would give."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.selectors import active_user_with_area
from tests.factories import CountyStaffFactory

pytestmark = pytest.mark.django_db


def test_the_user_and_their_area_come_in_one_query_as_the_orm_reads_them_but_the_boundary():
    staff = CountyStaffFactory()
    expected = User.objects.select_related("area").get(pk=staff.pk)
    with CaptureQueriesContext(connection) as queries:
        user = active_user_with_area(staff.pk)
        area_name = user.area.name
    assert len(queries) == 1
    assert area_name == expected.area.name
    assert {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields}
    area_fields = [f for f in expected.area._meta.concrete_fields if f.name != "geometry"]
    assert {f.attname: getattr(user.area, f.attname) for f in area_fields} == {
        f.attname: getattr(expected.area, f.attname) for f in area_fields}
    assert user.area.get_deferred_fields() == {"geometry"}
    assert user.area.geometry == expected.area.geometry  # loaded when read
    assert not user._state.adding


def test_an_inactive_or_unknown_user_is_none():
    staff = CountyStaffFactory(is_active=False)
    assert active_user_with_area(staff.pk) is None
    assert active_user_with_area(staff.pk + 1000) is None
