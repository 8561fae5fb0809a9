"""The back office (Django's admin for the bureau): who may enter, what it shows, every change audited."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import AuditEvent, User
from tests.client import ApiClient
from tests.factories import PASSWORD, BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from villages.models import Category

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def operator() -> User:
    return BureauFactory(is_staff=True)


def user_form(user: User, **changes) -> dict:
    data = {"name": user.name, "area": user.area_id, "is_active": "on" if user.is_active else "",
            "is_staff": "on" if user.is_staff else ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize("who", ["bureau_staff", "superuser"])
def test_the_bureau_with_the_staff_flag_and_superusers_enter(who):
    user = operator() if who == "bureau_staff" else User.objects.create_superuser("13900009999", PASSWORD, name="根")
    client = browser(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


@pytest.mark.parametrize("factory", [BureauFactory, lambda: CountyStaffFactory(is_staff=True)],
                         ids=["bureau_without_staff_flag", "county_staff_with_staff_flag"])
def test_others_are_sent_to_the_login(factory):
    response = browser(factory()).get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("path", ["/admin/villages/area/", "/admin/villages/category/", "/admin/stats/target/",
                                  "/admin/commissioners/dispatch/", "/admin/problems/problem/",
                                  "/admin/accounts/auditevent/"])
def test_the_operators_models_are_registered(path):
    assert browser(operator()).get(path).status_code == 200


def test_changing_a_category_is_in_the_audit_trail():
    staff = operator()
    category = Category.objects.get(code="tea")
    response = browser(staff).post(f"/admin/villages/category/{category.pk}/change/",
                                   {"code": "tea", "name": "茶叶（含六堡茶）", "name_en": "Tea", "sort_order": 5})
    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(action="admin", subject="admin.villages.category")
    assert event.actor == staff
    assert event.detail["operation"] == "change" and event.detail["pk"] == "tea"


def test_deleting_through_the_bulk_action_is_in_the_audit_trail():
    Category.objects.create(code="spare", name="备用")
    response = browser(operator()).post("/admin/villages/category/", {
        "action": "delete_selected", "_selected_action": ["spare"], "post": "yes"})
    assert response.status_code == 302
    assert not Category.objects.filter(code="spare").exists()
    event = AuditEvent.objects.get(action="admin", subject="admin.villages.category")
    assert event.detail["operation"] == "delete" and event.detail["pk"] == "spare"


def test_the_user_form_has_no_password_field():
    person = CommissionerFactory()
    page = browser(operator()).get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    assert 'name="password"' not in page
    assert "pbkdf2" not in page and "md5$" not in page


def test_adding_a_person_gives_a_temporary_password_to_change_at_first_login():
    client = browser(operator())
    response = client.post("/admin/accounts/user/add/", {"phone": "13755550001", "name": "新人",
                                                          "role": "commissioner", "area": "451002"}, follow=True)
    assert response.status_code == 200
    person = User.objects.get(phone="13755550001")
    assert person.password_change_required and person.commissioner is not None
    shown = [str(m) for m in response.context["messages"]]
    temporary = re.search(r"\b[a-z2-9]{12}\b", next(m for m in shown if "13755550001" in m)).group(0)
    assert person.check_password(temporary)
    assert AuditEvent.objects.filter(action="admin", subject="admin.accounts.user", detail__operation="add").exists()


def test_adding_a_person_at_the_wrong_level_is_refused_by_the_form():
    response = browser(operator()).post("/admin/accounts/user/add/", {
        "phone": "13755550002", "name": "错层级", "role": "township_staff", "area": "451002"})
    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(phone="13755550002").exists()


def test_deactivating_in_the_admin_ends_the_persons_tokens_at_once():
    person = CommissionerFactory()
    api = ApiClient()
    pair = api.post("/auth/token", {"phone": person.phone, "password": PASSWORD}).json()
    response = browser(operator()).post(f"/admin/accounts/user/{person.pk}/change/",
                                        user_form(person, is_active=""))
    assert response.status_code == 302, response.content
    person.refresh_from_db()
    assert not person.is_active
    api.token = pair["access"]
    assert api.get("/me").status_code == 401


def test_the_bureau_cannot_make_anyone_a_superuser_in_the_admin():
    person = CountyStaffFactory()
    browser(operator()).post(f"/admin/accounts/user/{person.pk}/change/", user_form(person, is_superuser="on"))
    person.refresh_from_db()
    assert not person.is_superuser


def test_the_reset_action_gives_a_temporary_password_and_audits_it():
    person = CommissionerFactory()
    response = browser(operator()).post("/admin/accounts/user/", {
        "action": "reset_password", "_selected_action": [person.pk]}, follow=True)
    person.refresh_from_db()
    assert person.password_change_required and not person.check_password(PASSWORD)
    assert any(person.phone in str(m) for m in response.context["messages"])
    assert AuditEvent.objects.filter(action="admin", detail__pk=str(person.pk)).exists()


def test_people_are_never_deleted_in_the_admin():
    person = CommissionerFactory()
    response = browser(User.objects.create_superuser("13900009999", PASSWORD, name="根")).post(
        f"/admin/accounts/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=person.pk).exists()


def test_problems_are_read_only_with_their_history(api):
    from tests.fixtures_problems import problem_payload

    problem = api.as_user(TownshipStaffFactory()).post("/problems", problem_payload()).json()
    client = browser(operator())
    page = client.get(f"/admin/problems/problem/{problem['id']}/change/")
    assert page.status_code == 200
    assert "发布" in page.content.decode()  # the "posted" event, in the history inline
    response = client.post(f"/admin/problems/problem/{problem['id']}/change/", {"title": "改了"})
    assert response.status_code == 403


def test_renaming_a_village_is_audited_and_its_code_stays():
    from villages.models import Area

    village = Area.objects.filter(level="village").first()
    response = browser(operator()).post(f"/admin/villages/area/{village.pk}/change/",
                                        {"name": "新村名", "code": "999999999999", "lat": "0", "lng": "0"})
    assert response.status_code == 302, response.content
    renamed = Area.objects.get(pk=village.pk)
    assert renamed.name == "新村名" and (renamed.lat, renamed.lng) == (village.lat, village.lng)
    assert not Area.objects.filter(code="999999999999").exists()
    assert AuditEvent.objects.filter(action="admin", subject="admin.villages.area", detail__pk=village.pk).exists()


def test_areas_are_neither_added_nor_deleted_in_the_admin():
    client = browser(operator())
    assert client.get("/admin/villages/area/add/").status_code == 403
    assert client.get("/admin/villages/area/451002/delete/").status_code == 403


def test_the_positions_trail_is_registered_and_read_only():
    client = browser(operator())
    assert client.get("/admin/villages/areapositionchange/").status_code == 200
    assert client.get("/admin/villages/areapositionchange/add/").status_code == 403


def _target_form(**changes) -> dict:
    data = {"code": "next_plan_dispatches", "name": "十五五选派", "unit": "人次", "value": 2500,
            "period_start": "2026-01-01", "period_end": "2030-12-31", "area": "451000",
            "rule": "dispatches_counted", "sort_order": 0, "baseline_value": 2000, "baseline_label": "十四五"}
    data.update(changes)
    return data


def test_a_target_added_in_the_admin_follows_the_apis_rules(baise):
    from stats.models import Target

    client = browser(operator())
    refused = client.post("/admin/stats/target/add/", _target_form(area="451002001"))  # a township
    assert refused.status_code == 200 and not Target.objects.filter(code="next_plan_dispatches").exists()
    assert "451000" in refused.content.decode()  # the area's reason: the city or one of its counties

    added = client.post("/admin/stats/target/add/", _target_form())
    assert added.status_code == 302, added.content
    assert Target.objects.get(code="next_plan_dispatches").baseline_label == "十四五"
    assert AuditEvent.objects.filter(action="admin", subject="admin.stats.target").exists()
