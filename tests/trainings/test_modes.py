"""How a training was given (mode) and how many households it reached: recorded, validated, listed, counted."""

from datetime import date, datetime

import pytest
from django.db import IntegrityError, transaction

from core.periods import SHANGHAI
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory
from trainings.models import Training

from .conftest import training_payload
from .factories import OTHER_COUNTY_VILLAGE, TrainingFactory

pytestmark = pytest.mark.django_db


def test_mode_and_households_are_stored_and_answered(api, commissioner):
    body = api.as_user(commissioner).post("/trainings", training_payload(mode="field", households=30)).json()
    assert (body["mode"], body["households"]) == ("field", 30)
    training = Training.objects.get(pk=body["id"])
    assert (training.mode, training.households) == ("field", 30)


def test_a_training_without_a_mode_is_a_lecture_with_households_not_recorded(api, commissioner):
    body = api.as_user(commissioner).post("/trainings", training_payload()).json()
    assert (body["mode"], body["households"]) == ("lecture", None)


def test_households_may_equal_the_headcount(api, commissioner):
    response = api.as_user(commissioner).post("/trainings", training_payload(headcount=45, households=45))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mode": "webinar"}, "mode"),
        ({"households": -1}, "households"),
        ({"households": 46}, "households"),
        ({"households": "12"}, "households"),
        ({"households": True}, "households"),
    ],
)
def test_a_bad_mode_or_households_is_422_naming_the_field(api, commissioner, overrides, field):
    response = api.as_user(commissioner).post("/trainings", training_payload(headcount=45, **overrides))
    assert response.status_code == 422, response.content
    assert error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Training.objects.exists()


def test_more_households_than_headcount_is_explained_in_chinese(api, commissioner):
    response = api.as_user(commissioner).post("/trainings", training_payload(headcount=45, households=46))
    assert response.json()["error"]["fields"]["households"] == "不能超过培训人次"


@pytest.mark.parametrize("changed", [{"mode": "countryside"}, {"households": 20}])
def test_a_replay_that_changes_mode_or_households_is_a_conflict(api, commissioner, changed):
    payload = training_payload(mode="field", households=10)
    api.as_user(commissioner).post("/trainings", payload)
    response = api.post("/trainings", {**payload, **changed})
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"


def test_a_replay_answers_the_same_mode_and_households(api, commissioner):
    payload = training_payload(mode="popular_science", households=12)
    first = api.as_user(commissioner).post("/trainings", payload)
    again = api.post("/trainings", payload)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_the_database_refuses_more_households_than_headcount():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingFactory(headcount=10, households=11)


def test_the_database_refuses_an_unknown_mode():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingFactory(mode="webinar")


def test_the_list_filters_by_mode(api):
    field = TrainingFactory(mode="field")
    TrainingFactory(mode="lecture")
    body = api.as_user(BureauFactory()).get("/trainings", mode="field").json()
    assert [t["id"] for t in body["items"]] == [field.pk]
    assert body["items"][0]["mode"] == "field"


def test_the_list_refuses_an_unknown_mode_filter(api):
    response = api.as_user(BureauFactory()).get("/trainings", mode="webinar")
    assert response.status_code == 422
    assert "mode" in response.json()["error"]["fields"]


def test_a_field_category_filter_includes_its_industries(api):
    mango = TrainingFactory(category_id="mango")
    fruit = TrainingFactory(category_id="fruit-trees")
    TrainingFactory(category_id="tea")
    bureau = api.as_user(BureauFactory())
    assert {t["id"] for t in bureau.get("/trainings", category="fruit-trees").json()["items"]} == {mango.pk, fruit.pk}
    assert {t["id"] for t in bureau.get("/trainings", category="mango").json()["items"]} == {mango.pk}


def test_a_training_may_name_an_industry(api, commissioner):
    body = api.as_user(commissioner).post("/trainings", training_payload(category="citrus", topic="柑桔黄龙病防控"))
    assert body.status_code == 201
    assert body.json()["category"] == "citrus"


def _at(day):
    return datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)


def test_stats_count_trainings_trainees_and_households_by_mode(api):
    TrainingFactory(mode="field", headcount=30, households=20, started_at=_at(date(2025, 3, 1)))
    TrainingFactory(mode="field", headcount=10, households=None, started_at=_at(date(2025, 3, 2)))
    TrainingFactory(mode="countryside", headcount=50, households=40, started_at=_at(date(2025, 3, 2)))
    TrainingFactory(mode="countryside", headcount=99, households=9, started_at=_at(date(2024, 3, 2)))
    client = api.as_user(BureauFactory())
    response = client.get("/stats/trainings", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert response.status_code == 200, response.content
    rows = {r["mode"]: r for r in response.json()["by_mode"]}
    assert list(rows) == ["lecture", "field", "countryside", "popular_science"]
    assert rows["field"] == {"mode": "field", "name": "现场指导", "trainings": 2, "trainees": 40, "households": 20,
                             "households_recorded": 1}
    assert rows["countryside"]["households"] == 40
    assert rows["lecture"] == {"mode": "lecture", "name": "集中授课", "trainings": 0, "trainees": 0,
                               "households": 0, "households_recorded": 0}


def test_county_staff_see_their_countys_modes_only(api):
    TrainingFactory(mode="field", headcount=30)
    TrainingFactory(mode="field", headcount=7, village_id=OTHER_COUNTY_VILLAGE)
    rows = {r["mode"]: r for r in api.as_user(CountyStaffFactory()).get("/stats/trainings").json()["by_mode"]}
    assert rows["field"]["trainees"] == 30


def test_commissioners_may_not_read_the_stats(api, commissioner):
    response = api.as_user(commissioner).get("/stats/trainings")
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_a_backwards_window_is_422(api):
    response = api.as_user(BureauFactory()).get("/stats/trainings", **{"from": "2025-02-01", "to": "2025-01-01"})
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]


def test_the_mode_tally_is_one_query(django_assert_num_queries):
    from stats.selectors import Window, trainings_by_mode
    from villages.models import Area

    TrainingFactory(mode="field")
    city = Area.objects.get(code="451000")
    with django_assert_num_queries(1):
        trainings_by_mode(window=Window(), within=city)
