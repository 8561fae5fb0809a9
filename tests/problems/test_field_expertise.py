"""An expertise in a field (果树) covers its industries (芒果, 柑橘, 香蕉): matching, the problem.posted
audience and the read model behind both. An industry's specialist matches that industry only."""

import pytest
from django.db import transaction

from commissioners.models import MatchingCandidate
from problems.audience import problem_audience_km
from problems.matching import matchable_for_open_problems, matches_for
from tests.fixtures_problems import make_commissioner
from tests.problems.test_matching import a_problem
from villages.models import Area, Category
from villages.services import categories_seed

pytestmark = pytest.mark.django_db


def ids(matches):
    return [m.commissioner_id for m in matches]


def test_a_field_expert_matches_a_problem_of_its_industry(village, staff):
    generalist = make_commissioner(village, expertise=("fruit-trees",))
    (match,) = matches_for(a_problem(village, staff, category="mango"))
    assert match.commissioner_id == generalist.pk
    assert match.reasons["expertise"] == "fruit-trees"


def test_an_industry_specialist_matches_their_industry_and_says_so(village, staff):
    specialist = make_commissioner(village, expertise=("mango",))
    (match,) = matches_for(a_problem(village, staff, category="mango"))
    assert (match.commissioner_id, match.reasons["expertise"]) == (specialist.pk, "mango")


def test_an_industry_specialist_matches_neither_the_field_nor_a_sibling(village, staff):
    make_commissioner(village, expertise=("mango",))
    assert matches_for(a_problem(village, staff, category="fruit-trees")) == []
    assert matches_for(a_problem(village, staff, category="citrus")) == []


def test_an_expertise_in_another_field_does_not_reach_an_industry(village, staff):
    make_commissioner(village, expertise=("livestock", "tea"))
    assert matches_for(a_problem(village, staff, category="mango")) == []


def test_someone_with_the_field_and_the_industry_is_ranked_once_as_a_specialist(village, staff):
    both = make_commissioner(village, expertise=("fruit-trees", "mango"))
    generalist = make_commissioner(village, expertise=("fruit-trees",), km_north=3)
    matches = matches_for(a_problem(village, staff, category="mango"))
    assert ids(matches) == [both.pk, generalist.pk]
    assert [m.reasons["expertise"] for m in matches] == ["mango", "fruit-trees"]


def test_a_field_problem_says_the_field(village, staff):
    make_commissioner(village, expertise=("fruit-trees",))
    (match,) = matches_for(a_problem(village, staff, category="fruit-trees"))
    assert match.reasons["expertise"] == "fruit-trees"


def test_the_field_experts_hear_of_an_industrys_problem(village, staff):
    generalist = make_commissioner(village, expertise=("livestock",))
    specialist = make_commissioner(village, expertise=("pigs",), km_north=2)
    make_commissioner(village, expertise=("cattle-sheep",))
    audience = [uid for uid, _ in problem_audience_km(a_problem(village, staff, category="pigs"))]
    assert audience == [generalist.pk, specialist.pk]


def test_township_staff_may_list_the_field_experts_their_industry_problems_match(village, staff):
    generalist = make_commissioner(village, expertise=("fruit-trees",))
    make_commissioner(village, expertise=("tea",))
    a_problem(village, staff, category="banana")
    assert matchable_for_open_problems(Area.objects.get(code=village.township_code)) == {generalist.pk}


def test_matching_an_industrys_problem_costs_the_same_queries(village, staff, django_assert_max_num_queries):
    for i in range(12):
        make_commissioner(village, expertise=("fruit-trees",) if i % 2 else ("mango",), km_north=1 + i)
    problem = a_problem(village, staff, category="mango")
    with django_assert_max_num_queries(3):
        assert len(matches_for(problem, limit=10)) == 10


def test_the_matches_endpoint_names_the_covering_expertise(api, village, staff):
    generalist = make_commissioner(village, expertise=("fruit-trees",))
    problem = a_problem(village, staff, category="citrus")
    (item,) = api.as_user(staff).get(f"/problems/{problem.pk}/matches").json()["items"]
    assert item["commissioner"]["id"] == generalist.pk
    assert item["commissioner"]["expertise"] == ["fruit-trees"]
    assert item["reasons"]["expertise"] == "fruit-trees"


def test_an_industry_added_in_the_back_office_reaches_the_fields_experts(village, staff):
    from tests.accounts.test_back_office import browser, operator

    generalist = make_commissioner(village, expertise=("sugarcane",))
    response = browser(operator()).post("/admin/villages/category/add/", {
        "code": "sugarcane-seedlings", "name": "甘蔗种苗", "name_en": "", "parent": "sugarcane", "sort_order": 120})
    assert response.status_code == 302, response.content
    assert ids(matches_for(a_problem(village, staff, category="sugarcane-seedlings"))) == [generalist.pk]


def test_an_industry_moved_to_another_field_follows_it(village, staff):
    from tests.accounts.test_back_office import browser, operator

    fruit = make_commissioner(village, expertise=("fruit-trees",))
    forest = make_commissioner(village, expertise=("forestry",), km_north=2)
    response = browser(operator()).post("/admin/villages/category/banana/change/", {
        "code": "banana", "name": "香蕉", "name_en": "Banana", "parent": "forestry", "sort_order": 102})
    assert response.status_code == 302, response.content
    assert ids(matches_for(a_problem(village, staff, category="banana"))) == [forest.pk]
    assert not MatchingCandidate.objects.filter(commissioner=fruit, category_id="banana").exists()


def test_seeding_the_industries_into_an_older_database_reaches_the_fields_experts(village, staff):
    generalist = make_commissioner(village, expertise=("livestock",))
    with transaction.atomic():
        MatchingCandidate.objects.filter(category__parent__isnull=False).delete()
        Category.objects.filter(parent__isnull=False).delete()
    assert set(MatchingCandidate.objects.filter(commissioner=generalist).values_list("category_id", flat=True)) == {
        "livestock"}
    categories_seed()
    assert ids(matches_for(a_problem(village, staff, category="understory-chickens"))) == [generalist.pk]
