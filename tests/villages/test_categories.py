"""Two-level categories: the twelve fields and the plan's industries under them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.client import error_code
from tests.factories import CommissionerFactory
from tests.fixtures_problems import make_commissioner, problem_payload
from villages.models import Category
from villages.services import categories_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api):
    return api.as_user(CommissionerFactory())


def test_the_plans_industries_sit_under_their_fields(client):
    items = {c["name"]: c for c in client.get("/categories").json()["items"]}
    assert {name: items[name]["parent"] for name in ("芒果", "柑橘", "香蕉", "八角", "生猪", "牛羊", "林下鸡")} == {
        "芒果": "fruit-trees", "柑橘": "fruit-trees", "香蕉": "fruit-trees", "八角": "forestry",
        "生猪": "livestock", "牛羊": "livestock", "林下鸡": "livestock"}
    assert items["芒果"] == {"code": "mango", "name": "芒果", "name_en": "Mango", "parent": "fruit-trees"}


def test_the_plans_industries_that_are_fields_stay_top_level(client):
    items = {c["name"]: c for c in client.get("/categories").json()["items"]}
    for name in ("甘蔗", "桑蚕", "油茶", "茶叶", "蔬菜", "水产", "中药材"):
        assert items[name]["parent"] is None


def test_fields_are_listed_before_industries(client):
    parents = [c["parent"] for c in client.get("/categories").json()["items"]]
    assert parents[:12] == [None] * 12
    assert all(parents[12:])


def test_filter_by_parent_lists_a_fields_industries(client):
    body = client.get("/categories", parent="fruit-trees").json()
    assert [c["code"] for c in body["items"]] == ["mango", "citrus", "banana"]


def test_filter_top_lists_the_twelve_fields(client):
    assert client.get("/categories", top="true").json()["count"] == 12
    assert client.get("/categories", top="false").json()["count"] == 7


def test_a_bad_filter_is_422_in_the_error_shape(client):
    response = client.get("/categories", top="maybe")
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert "top" in response.json()["error"]["fields"]


def test_seeding_again_creates_nothing_and_keeps_the_bureaus_renames():
    Category.objects.filter(code="mango").update(name="杧果")
    assert categories_seed() == 0
    assert Category.objects.get(code="mango").name == "杧果"


def test_seeding_an_older_database_adds_the_industries():
    Category.objects.filter(parent__isnull=False).delete()
    assert categories_seed() == 7
    assert Category.objects.get(code="star-anise").parent_id == "forestry"


def test_the_database_refuses_a_category_as_its_own_parent():
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.filter(code="tea").update(parent_id="tea")


def test_a_third_level_is_refused_by_validation():
    category = Category(code="mango-tainong", name="台农芒", parent_id="mango")
    with pytest.raises(ValidationError) as refused:
        category.full_clean()
    assert "parent" in refused.value.message_dict


def test_a_field_with_industries_cannot_become_an_industry():
    fruit = Category.objects.get(code="fruit-trees")
    fruit.parent_id = "forestry"
    with pytest.raises(ValidationError) as refused:
        fruit.full_clean()
    assert "parent" in refused.value.message_dict


def test_a_field_cannot_be_deleted_under_its_industries():
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Category.objects.get(code="fruit-trees").delete()


def test_a_problem_may_name_an_industry(api, staff):
    response = api.as_user(staff).post("/problems", problem_payload(category="mango", title="芒果瘿蚊危害嫩梢"))
    assert response.status_code == 201, response.content
    assert response.json()["category"] == "mango"


def test_a_problem_naming_an_unknown_category_is_422(api, staff):
    response = api.as_user(staff).post("/problems", problem_payload(category="durian"))
    assert response.status_code == 422
    assert "category" in response.json()["error"]["fields"]


def test_an_expertise_may_mix_fields_and_industries(api, village):
    person = make_commissioner(village)
    response = api.as_user(person).patch("/commissioners/me", {"expertise": ["livestock", "mango"]})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["expertise"]) == ["livestock", "mango"]


def test_an_unknown_expertise_is_422_naming_it(api, village):
    response = api.as_user(make_commissioner(village)).patch("/commissioners/me", {"expertise": ["durian"]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["expertise"] == ["durian"]


def test_the_back_office_adds_an_industry_under_a_field():
    from tests.accounts.test_back_office import browser, operator

    response = browser(operator()).post("/admin/villages/category/add/", {
        "code": "sugarcane-seedlings", "name": "甘蔗种苗", "name_en": "", "parent": "sugarcane", "sort_order": 120})
    assert response.status_code == 302, response.content
    assert Category.objects.get(code="sugarcane-seedlings").parent_id == "sugarcane"


def test_the_back_office_refuses_a_third_level():
    from tests.accounts.test_back_office import browser, operator

    response = browser(operator()).post("/admin/villages/category/add/", {
        "code": "mango-tainong", "name": "台农芒", "name_en": "", "parent": "mango", "sort_order": 120})
    assert response.status_code == 200  # the form again, with the error
    assert not Category.objects.filter(code="mango-tainong").exists()
