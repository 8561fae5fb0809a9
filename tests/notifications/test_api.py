import pytest

from notifications.models import Notification
from notifications.selectors import notification_message
from notifications.services import notify
from tests.client import error_code
from tests.factories import CommissionerFactory

from .conftest import accepted

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return CommissionerFactory()


def inbox(user, n: int) -> list[Notification]:
    return [notify(recipients=[user], type="claim.accepted", payload=accepted(claim_id=i))[0] for i in range(n)]


def test_the_list_needs_a_token(api):
    response = api.get("/notifications")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_the_list_is_mine_newest_first(api, me):
    first, second = inbox(me, 2)
    inbox(CommissionerFactory(), 1)
    body = api.as_user(me).get("/notifications").json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    assert set(body["items"][0]) == {"id", "type", "payload", "created_at", "read_at"}


def test_the_list_writes_each_item_as_the_websocket_does(api, me):
    [row] = inbox(me, 1)
    item = api.as_user(me).get("/notifications").json()["items"][0]
    message = notification_message(Notification.objects.get(pk=row.pk))
    assert {k: item[k] for k in message} == message


def test_unread_1_lists_only_the_unread(api, me):
    read, unread = inbox(me, 2)
    api.as_user(me).post(f"/notifications/{read.pk}/read")
    body = api.get("/notifications", unread=1).json()
    assert body["count"] == 1
    assert [item["id"] for item in body["items"]] == [unread.pk]


def test_reading_one_answers_it_with_its_read_time(api, me):
    [row] = inbox(me, 1)
    response = api.as_user(me).post(f"/notifications/{row.pk}/read")
    assert response.status_code == 200
    assert response.json()["id"] == row.pk
    assert response.json()["read_at"] is not None
    row.refresh_from_db()
    assert row.read_at is not None


def test_someone_elses_notification_is_not_found(api, me):
    [theirs] = inbox(CommissionerFactory(), 1)
    response = api.as_user(me).post(f"/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_unknown_id_is_not_found(api, me):
    response = api.as_user(me).post("/notifications/987654321/read")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_read_all_says_how_many_it_marked(api, me):
    inbox(me, 3)
    response = api.as_user(me).post("/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"updated": 3}
    assert api.get("/notifications", unread=1).json()["count"] == 0


def test_the_list_query_count_does_not_grow_with_the_page(api, me, django_assert_max_num_queries):
    inbox(me, 30)
    api.as_user(me)
    # the token's user, the count, the page
    with django_assert_max_num_queries(3):
        body = api.get("/notifications", limit=30).json()
    assert len(body["items"]) == 30


def test_the_types_endpoint_serves_each_payload_schema(api):
    body = api.anonymous().get("/notifications/types").json()
    by_type = {item["type"]: item for item in body["items"]}
    posted = by_type["problem.posted"]["payload_schema"]
    assert set(posted["required"]) == {"problem_id", "title", "category", "village_code", "urgency", "distance_km"}
    assert by_type["problem.escalated"]["payload_schema"]["properties"]["reason"]["enum"] == ["unclaimed", "deadline"]
    assert all(item["recipients"] for item in body["items"])


def test_the_openapi_schema_describes_the_notification_endpoints(api):
    paths = api.anonymous().get("/openapi.json").json()["paths"]
    assert {"/api/v1/notifications", "/api/v1/notifications/read-all", "/api/v1/notifications/types"} <= set(paths)
    assert "/api/v1/notifications/{notification_id}/read" in paths
