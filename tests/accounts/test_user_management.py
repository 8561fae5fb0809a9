"""Running the programme's people (contract v1.1): list, change, deactivate, reset a password."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, User
from tests.client import error_code
from tests.factories import (
    PASSWORD,
    BureauFactory,
    CommissionerFactory,
    CountyStaffFactory,
    TownshipStaffFactory,
)

pytestmark = pytest.mark.django_db


def login(api, phone, password):
    return api.anonymous().post("/auth/token", {"phone": phone, "password": password})


# --- GET /users -------------------------------------------------------------------------------------------


def test_county_staff_list_the_people_of_their_county_only(api):
    staff = CountyStaffFactory()
    mine = CommissionerFactory(area_id="451002")
    other = CommissionerFactory(area_id="451003")
    body = api.as_user(staff).get("/users").json()
    ids = {item["id"] for item in body["items"]}
    assert mine.pk in ids and staff.pk in ids
    assert other.pk not in ids


def test_the_bureau_lists_everyone(api):
    bureau = BureauFactory()
    people = [CommissionerFactory(area_id="451002"), CommissionerFactory(area_id="451003")]
    ids = {item["id"] for item in api.as_user(bureau).get("/users", limit=200).json()["items"]}
    assert {p.pk for p in people} <= ids


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CommissionerFactory])
def test_other_roles_may_not_list_users(api, factory):
    response = api.as_user(factory()).get("/users")
    assert response.status_code == 403 and error_code(response) == "forbidden"


def test_the_list_filters_by_role_area_text_and_activity(api):
    bureau = BureauFactory()
    wanted = CommissionerFactory(area_id="451003", name="韦特派员")
    CommissionerFactory(area_id="451003", name="黄特派员", is_active=False)
    TownshipStaffFactory(area_id="451003100", name="韦干部")
    body = api.as_user(bureau).get("/users", role="commissioner", area="451003", q="韦", active="true").json()
    assert [item["id"] for item in body["items"]] == [wanted.pk]
    assert body["items"][0] == {"id": wanted.pk, "phone": wanted.phone, "name": "韦特派员", "role": "commissioner",
                                "area_code": "451003", "is_active": True}


def test_the_list_finds_a_person_by_part_of_their_phone(api):
    bureau = BureauFactory()
    person = CommissionerFactory(phone="13912340077")
    body = api.as_user(bureau).get("/users", q="40077").json()
    assert [item["id"] for item in body["items"]] == [person.pk]


def test_county_staff_see_whole_phones_of_their_county(api):
    staff = CountyStaffFactory()
    CommissionerFactory(area_id="451002", phone="13812340011")
    items = api.as_user(staff).get("/users", q="13812340011").json()["items"]
    assert items[0]["phone"] == "13812340011"


def test_the_list_answers_in_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    bureau = BureauFactory()
    for _i in range(5):
        CommissionerFactory()
    client = api.as_user(bureau)
    with django_assert_max_num_queries(4):  # the viewer, the count, the page (phones: none for the bureau)
        response = client.get("/users")
    assert response.status_code == 200


# --- PATCH /users/{id} ------------------------------------------------------------------------------------


def test_county_staff_rename_and_move_a_person_in_their_county(api):
    staff = CountyStaffFactory()
    person = CommissionerFactory(area_id="451002")
    response = api.as_user(staff).patch(f"/users/{person.pk}", {"name": " 新名字 ", "area_code": "451002001"})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.name, person.area_id) == ("新名字", "451002001")
    assert AuditEvent.objects.filter(subject="users.update", actor=staff).exists()


def test_county_staff_cannot_change_someone_of_another_county(api):
    person = CommissionerFactory(area_id="451003")
    response = api.as_user(CountyStaffFactory()).patch(f"/users/{person.pk}", {"name": "改名"})
    assert response.status_code == 403 and error_code(response) == "outside_scope"
    person.refresh_from_db()
    assert person.name != "改名"


def test_county_staff_cannot_move_a_person_out_of_their_county(api):
    person = CommissionerFactory(area_id="451002")
    response = api.as_user(CountyStaffFactory()).patch(f"/users/{person.pk}", {"area_code": "451003"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.area_id == "451002"


def test_a_patch_sets_a_commissioners_expertise(api):
    person = CommissionerFactory()
    response = api.as_user(BureauFactory()).patch(f"/users/{person.pk}", {"expertise": ["tea"]})
    assert response.status_code == 200
    assert list(person.commissioner.expertise.values_list("code", flat=True)) == ["tea"]


def test_a_name_with_control_characters_is_refused(api):
    person = CommissionerFactory()
    response = api.as_user(BureauFactory()).patch(f"/users/{person.pk}", {"name": "王\u202e五"})
    assert response.status_code == 422 and "name" in response.json()["error"]["fields"]


def test_deactivating_ends_the_persons_tokens_at_once(api):
    person = CommissionerFactory()
    pair = login(api, person.phone, PASSWORD).json()
    response = api.as_user(BureauFactory()).patch(f"/users/{person.pk}", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    api.token = pair["access"]
    assert api.get("/me").status_code == 401
    assert api.anonymous().post("/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
    assert login(api, person.phone, PASSWORD).status_code == 401


def test_a_reactivated_person_logs_in_again(api):
    person = CommissionerFactory(is_active=False)
    response = api.as_user(BureauFactory()).patch(f"/users/{person.pk}", {"is_active": True})
    assert response.status_code == 200
    assert login(api, person.phone, PASSWORD).status_code == 200


def test_nobody_deactivates_themselves(api):
    bureau = BureauFactory()
    response = api.as_user(bureau).patch(f"/users/{bureau.pk}", {"is_active": False})
    assert response.status_code == 403
    bureau.refresh_from_db()
    assert bureau.is_active


def test_an_unknown_user_is_404(api):
    response = api.as_user(BureauFactory()).patch("/users/999999", {"name": "x"})
    assert response.status_code == 404


# --- reset-password and password_change_required ----------------------------------------------------------


def test_a_reset_answers_a_temporary_password_that_logs_in(api):
    person = CommissionerFactory()
    response = api.as_user(CountyStaffFactory()).post(f"/users/{person.pk}/reset-password")
    assert response.status_code == 200
    temporary = response.json()["temporary_password"]
    assert len(temporary) >= 12
    assert login(api, person.phone, temporary).status_code == 200
    assert login(api, person.phone, PASSWORD).status_code == 401


def test_after_a_reset_the_login_says_the_password_must_change(api):
    person = CommissionerFactory()
    temporary = api.as_user(BureauFactory()).post(f"/users/{person.pk}/reset-password").json()["temporary_password"]
    body = login(api, person.phone, temporary).json()
    assert body["user"]["password_change_required"] is True


def test_an_ordinary_login_does_not_ask_for_a_new_password(api):
    person = CommissionerFactory()
    assert login(api, person.phone, PASSWORD).json()["user"]["password_change_required"] is False


def test_changing_the_password_clears_the_requirement(api):
    person = CommissionerFactory()
    temporary = api.as_user(BureauFactory()).post(f"/users/{person.pk}/reset-password").json()["temporary_password"]
    access = login(api, person.phone, temporary).json()["access"]
    api.token = access
    response = api.post("/me/password", {"old_password": temporary, "new_password": "my-own-passphrase"})
    assert response.status_code == 200
    assert login(api, person.phone, "my-own-passphrase").json()["user"]["password_change_required"] is False


def test_a_reset_ends_the_persons_sessions(api):
    person = CommissionerFactory()
    pair = login(api, person.phone, PASSWORD).json()
    api.as_user(BureauFactory()).post(f"/users/{person.pk}/reset-password")
    api.token = pair["access"]
    assert api.get("/me").status_code == 401


def test_a_reset_is_in_the_audit_trail(api):
    bureau, person = BureauFactory(), CommissionerFactory()
    api.as_user(bureau).post(f"/users/{person.pk}/reset-password")
    event = AuditEvent.objects.get(subject="users.reset_password")
    assert event.actor == bureau and event.detail == {"user_id": person.pk}


def test_nobody_resets_their_own_password_without_the_current_one(api):
    bureau = BureauFactory()
    response = api.as_user(bureau).post(f"/users/{bureau.pk}/reset-password")
    assert response.status_code == 403
    assert login(api, bureau.phone, PASSWORD).status_code == 200


def test_county_staff_cannot_reset_someone_of_another_county(api):
    person = CommissionerFactory(area_id="451003")
    response = api.as_user(CountyStaffFactory()).post(f"/users/{person.pk}/reset-password")
    assert response.status_code == 403 and error_code(response) == "outside_scope"
    assert login(api, person.phone, PASSWORD).status_code == 200


def test_the_bureau_cannot_reset_a_superusers_password(api):
    root = User.objects.create_superuser("13900009999", PASSWORD, name="管理员")
    response = api.as_user(BureauFactory()).post(f"/users/{root.pk}/reset-password")
    assert response.status_code == 403
    assert login(api, root.phone, PASSWORD).status_code == 200


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CommissionerFactory])
def test_other_roles_cannot_reset_passwords(api, factory):
    person = CommissionerFactory()
    response = api.as_user(factory()).post(f"/users/{person.pk}/reset-password")
    assert response.status_code == 403
