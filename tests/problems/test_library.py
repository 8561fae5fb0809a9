"""The library of solved problems: Chinese substrings of every length, filters, order, and who may read it.
Runs on both backends (SQLite FTS5 trigram; PostgreSQL pg_trgm)."""

import pytest
from django.db import connection

from tests.conftest import ON_POSTGRES
from tests.factories import CommissionerFactory, TownshipStaffFactory

from .life import closed, in_progress

pytestmark = pytest.mark.django_db

MANGO = {"title": "芒果炭疽病", "description": "果园大面积出现黑斑，落果严重。", "category": "fruit-trees"}
CITRUS = {"title": "柑橘叶片发黄", "description": "怀疑是黄龙病，村里很担心。", "category": "fruit-trees"}
PIG = {"title": "生猪疫病防控求助", "description": "养殖场几头猪不吃食。", "category": "livestock"}
OIL_TEA = {"title": "油茶落果", "description": "叶子有黑斑，可能是炭疽病。", "category": "oil-tea"}


@pytest.fixture
def library(api, staff, commissioner):
    """Four solved problems, closed in this order."""
    return {name: closed(api, staff, commissioner, **fields)
            for name, fields in (("mango", MANGO), ("citrus", CITRUS), ("pig", PIG), ("oil_tea", OIL_TEA))}


def search(api, user, **params):
    response = api.as_user(user).get("/problems/solved", **params)
    assert response.status_code == 200, response.content
    return response.json()


def ids(body):
    return [item["id"] for item in body["items"]]


@pytest.mark.parametrize(("q", "expected"), [
    ("炭疽", ["mango", "oil_tea"]),          # two characters: no trigram, the LIKE fallback
    ("黄龙病", ["citrus"]),                   # three: the trigram index
    ("芒果炭疽病", ["mango"]),                # five
    ("生猪疫病防控", ["pig"]),
])
def test_chinese_substrings_are_found_without_word_segmentation(api, staff, library, q, expected):
    body = search(api, staff, q=q)
    assert ids(body) == [library[name]["id"] for name in expected]
    assert body["count"] == len(expected)


def test_a_title_match_comes_before_a_description_match_then_the_most_recent(api, staff, commissioner, library):
    newer = closed(api, staff, commissioner, title="芒果炭疽病", description="同上", category="fruit-trees")
    body = search(api, staff, q="炭疽病")
    assert ids(body) == [newer["id"], library["mango"]["id"], library["oil_tea"]["id"]]


def test_every_term_must_occur(api, staff, library):
    assert ids(search(api, staff, q="炭疽 油茶")) == [library["oil_tea"]["id"]]
    assert search(api, staff, q="炭疽 生猪")["count"] == 0


def test_the_category_filters(api, staff, library):
    assert ids(search(api, staff, q="炭疽", category="oil-tea")) == [library["oil_tea"]["id"]]
    assert ids(search(api, staff, category="livestock")) == [library["pig"]["id"]]


def test_without_a_query_the_library_lists_the_most_recent_first(api, staff, library):
    body = search(api, staff)
    assert ids(body) == [library[n]["id"] for n in ("oil_tea", "pig", "citrus", "mango")]


def test_only_closed_problems_are_in_the_library(api, staff, commissioner, library):
    in_progress(api, staff, commissioner, title="芒果炭疽病复发", category="fruit-trees")
    assert ids(search(api, staff, q="芒果炭疽病")) == [library["mango"]["id"]]


def test_an_item_carries_the_resolution_and_rating_and_no_person(api, staff, library):
    item = search(api, staff, q="芒果炭疽病")["items"][0]
    assert item["resolution_summary"] == "喷施咪鲜胺，十天后复查好转。"
    assert item["rating"] == 5
    assert item["village_name"] and item["township_name"]
    assert not {"posted_by", "rating_comment", "claims", "history", "client_id", "lat", "lng"} & set(item)


def test_like_wildcards_in_a_query_are_plain_characters(api, staff, library):
    assert search(api, staff, q="%")["count"] == 0
    assert search(api, staff, q="_")["count"] == 0


def test_pages_count_every_match(api, staff, library):
    body = search(api, staff, q="果", limit=1, offset=1)  # 芒果, 落果
    assert body["count"] == 2 and len(body["items"]) == 1
    past = search(api, staff, q="果", limit=1, offset=10)
    assert (past["count"], past["items"]) == (2, [])


def test_anyone_signed_in_reads_the_library(api, library):
    for user in (CommissionerFactory(), TownshipStaffFactory(area_id="451003100")):
        assert search(api, user, q="炭疽")["count"] == 2
    assert api.anonymous().get("/problems/solved").status_code == 401


def test_a_query_longer_than_the_limit_is_422(api, staff):
    response = api.as_user(staff).get("/problems/solved", q="长" * 101)
    assert response.status_code == 422


def test_similar_solved_problems_come_from_the_same_category_first(api, staff, commissioner, library):
    other_category = closed(api, staff, commissioner, title="芒果炭疽病防治", description="x", category="tea")
    problem = in_progress(api, staff, commissioner, title="芒果炭疽病又来了", category="fruit-trees")

    body = api.as_user(commissioner).get(f"/problems/{problem['id']}/similar").json()

    assert ids(body)[:2] == [library["mango"]["id"], other_category["id"]]
    assert library["pig"]["id"] not in ids(body)


def test_a_problem_is_not_similar_to_itself(api, staff, library):
    body = api.as_user(staff).get(f"/problems/{library['mango']['id']}/similar").json()
    assert library["mango"]["id"] not in ids(body)


def test_the_detail_shows_a_few_similar_solved_problems(api, staff, commissioner, library):
    problem = in_progress(api, staff, commissioner, title="芒果炭疽病又来了", category="fruit-trees")
    detail = api.as_user(staff).get(f"/problems/{problem['id']}").json()
    assert [s["id"] for s in detail["similar"]] == [library["mango"]["id"]]
    assert set(detail["similar"][0]) >= {"id", "title", "resolution_summary", "rating"}


def test_similar_is_for_those_who_may_see_the_problem(api, staff, commissioner, library):
    problem = in_progress(api, staff, commissioner, title="芒果炭疽病又来了", category="fruit-trees")
    stranger = TownshipStaffFactory(area_id="451003100")
    assert api.as_user(stranger).get(f"/problems/{problem['id']}/similar").status_code == 403


@pytest.mark.postgres
def test_pg_trgm_sees_chinese_characters_in_this_database():
    """pg_trgm makes trigrams of word characters only, as the database's LC_CTYPE classifies them: under
    ctype C every CJK character is a separator and Chinese would have no trigram at all."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        ctype = cursor.fetchone()[0]
        cursor.execute("SELECT array_length(show_trgm('芒果炭疽病'), 1), similarity('芒果炭疽病', '芒果炭疽病防治')")
        count, similarity = cursor.fetchone()
    assert count == 6, f"LC_CTYPE {ctype}: pg_trgm does not see Chinese"
    assert similarity > 0.5


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's FTS5")
def test_the_sqlite_index_follows_closing(api, staff, commissioner, library):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM problems_solved_fts WHERE problems_solved_fts MATCH %s ORDER BY rowid",
                       ['"炭疽病"'])
        assert [r[0] for r in cursor.fetchall()] == [library["mango"]["id"], library["oil_tea"]["id"]]


def test_a_problem_closed_without_a_closing_time_is_listed_not_a_500(api, staff, library):
    """A bulk load (the demo data did) may write a closed problem with no ``closed_at``."""
    from problems.models import Problem

    Problem.objects.filter(pk=library["pig"]["id"]).update(closed_at=None)

    body = search(api, staff, q="生猪疫病")
    assert ids(body) == [library["pig"]["id"]]
    assert body["items"][0]["closed_at"] is None

