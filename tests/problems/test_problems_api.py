"""Problems: posting (idempotent), scope, the whole flow to a rated close, and every refusal."""

import pytest

from geo.datums import wgs84_to_gcj02
from notifications.models import Notification
from problems.models import Claim, Problem, ProblemEvent
from tests.client import error_code
from tests.factories import CommissionerFactory, TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner, problem_payload

pytestmark = pytest.mark.django_db


def test_posting_creates_an_open_problem_at_the_village(api, staff, village, post_problem):
    body = post_problem()
    assert body["status"] == "open"
    assert (body["lat"], body["lng"]) == (village.lat, village.lng)
    assert body["village_code"] == VILLAGE
    assert [h["kind"] for h in body["history"]] == ["posted"]
    assert Problem.objects.get(pk=body["id"]).posted_by == staff


def test_posting_again_with_the_same_client_id_returns_the_first_result(api, staff):
    payload = problem_payload()
    first = api.as_user(staff).post("/problems", payload)
    again = api.post("/problems", payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Problem.objects.count() == 1


def test_reusing_a_client_id_for_another_problem_is_a_conflict(api, staff):
    payload = problem_payload()
    api.as_user(staff).post("/problems", payload)
    response = api.post("/problems", {**payload, "title": "另一个问题"})
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"


def test_a_position_in_gcj02_is_stored_in_wgs84(api, staff, village):
    lat, lng = wgs84_to_gcj02(village.lat + 0.01, village.lng)
    body = api.as_user(staff).post("/problems", problem_payload(lat=lat, lng=lng, crs="gcj02")).json()
    problem = Problem.objects.get(pk=body["id"])
    assert problem.lat == pytest.approx(village.lat + 0.01, abs=1e-7)


def test_staff_post_only_inside_their_township(api):
    other = TownshipStaffFactory(area_id="451003100")
    response = api.as_user(other).post("/problems", problem_payload())
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "astrology"}, "category"),
        ({"village_code": "451002001"}, "village_code"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"urgency": "panic"}, "urgency"),
        ({"title": ""}, "title"),
        ({"lat": 95, "lng": 106}, "lat"),
        ({"lat": 23.9}, "lng"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_invalid_posts_are_422_naming_the_field(api, staff, overrides, field):
    response = api.as_user(staff).post("/problems", problem_payload(**overrides))
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_unknown_village_is_404(api, staff):
    assert api.as_user(staff).post("/problems", problem_payload(village_code="451099999999")).status_code == 404


def test_commissioners_cannot_post(api, commissioner):
    assert api.as_user(commissioner).post("/problems", problem_payload()).status_code == 403


def test_commissioners_see_open_problems_nearest_first(api, staff, commissioner, village):
    api.as_user(staff)
    far = api.post("/problems", problem_payload(lat=village.lat + 0.2, lng=village.lng)).json()
    near = api.post("/problems", problem_payload(lat=village.lat + 0.01, lng=village.lng)).json()
    body = api.as_user(commissioner).get("/problems", near=f"{village.lat},{village.lng}", radius_km=50).json()
    assert [p["id"] for p in body["items"]] == [near["id"], far["id"]]
    assert body["items"][0]["distance_km"] == pytest.approx(1.11, abs=0.02)


def test_the_problem_list_costs_the_same_whatever_the_page(api, staff, django_assert_max_num_queries):
    api.as_user(staff)
    for _ in range(12):
        api.post("/problems", problem_payload())
    with django_assert_max_num_queries(3):
        assert len(api.get("/problems", limit=12).json()["items"]) == 12


def test_staff_of_another_township_do_not_see_the_problem(api, post_problem):
    body = post_problem()
    other = TownshipStaffFactory(area_id="451003100")
    api.as_user(other)
    assert api.get("/problems").json()["count"] == 0
    assert api.get(f"/problems/{body['id']}").status_code == 403


def test_the_whole_flow_to_a_rated_close(api, staff, village, post_problem, django_capture_on_commit_callbacks):
    problem = post_problem()
    pid = problem["id"]
    alice, bob = make_commissioner(village), make_commissioner(village, km_north=3)

    with django_capture_on_commit_callbacks(execute=True):
        a = api.as_user(alice).post(f"/problems/{pid}/claims", {"message": "我可以明天到"})
        b = api.as_user(bob).post(f"/problems/{pid}/claims", {})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["status"] == "pending"
    assert Notification.objects.filter(recipient=staff, type="claim.created").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.as_user(staff).post(f"/problems/{pid}/claims/{a.json()['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "in_progress"
    assert Claim.objects.get(pk=b.json()["id"]).status == "declined"
    assert Notification.objects.filter(recipient=alice, type="claim.accepted").exists()
    assert Notification.objects.filter(recipient=bob, type="claim.declined").exists()

    with django_capture_on_commit_callbacks(execute=True):
        resolved = api.as_user(alice).post(f"/problems/{pid}/resolve", {"summary": "喷施咪鲜胺，清园"})
    assert resolved.json()["status"] == "resolved"
    assert Notification.objects.filter(recipient=staff, type="problem.resolved").exists()

    closed = api.as_user(staff).post(f"/problems/{pid}/confirm", {"rating": 5, "comment": "很及时"})
    assert closed.status_code == 200
    body = closed.json()
    assert (body["status"], body["rating"]) == ("closed", 5)
    assert [h["kind"] for h in body["history"]] == ["posted", "claimed", "claimed", "accepted", "resolved", "closed"]
    assert [(h["from_status"], h["to_status"]) for h in body["history"]][-3:] == [
        ("open", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]


def test_posting_notifies_matching_commissioners_nearby_only(api, village, post_problem):
    expert_near = make_commissioner(village, km_north=5)
    expert_far = make_commissioner(village, km_north=200)
    other_field = make_commissioner(village, expertise=("livestock",))
    unavailable = make_commissioner(village, available=False)
    body = post_problem()
    notified = Notification.objects.filter(type="problem.posted")
    assert list(notified.values_list("recipient_id", flat=True)) == [expert_near.pk]
    note = notified.get()
    assert note.payload["problem_id"] == body["id"]
    assert note.payload["distance_km"] == pytest.approx(5, abs=0.1)
    assert not {expert_far.pk, other_field.pk, unavailable.pk} & set(notified.values_list("recipient_id", flat=True))


def test_claiming_twice_is_a_conflict(api, commissioner, post_problem):
    pid = post_problem()["id"]
    api.as_user(commissioner).post(f"/problems/{pid}/claims", {})
    response = api.post(f"/problems/{pid}/claims", {})
    assert response.status_code == 409
    assert error_code(response) == "already_claimed"
    assert Claim.objects.count() == 1


def test_claiming_a_problem_that_is_not_open_is_a_conflict(api, staff, commissioner, village, post_problem):
    pid = post_problem()["id"]
    api.as_user(staff).post(f"/problems/{pid}/withdraw", {"reason": "已自行解决"})
    response = api.as_user(commissioner).post(f"/problems/{pid}/claims", {})
    # a withdrawn problem is no longer visible to commissioners who never claimed it
    assert response.status_code == 403


def test_claiming_an_in_progress_problem_is_a_conflict(api, staff, village, post_problem):
    pid = post_problem()["id"]
    first, second = make_commissioner(village), make_commissioner(village)
    claim = api.as_user(first).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(second).post(f"/problems/{pid}/claims", {})
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    # the one who sees it still (the accepted commissioner) is told it is not open; the declined
    # claimant no longer sees it at all (tests/villages/test_problem_privacy.py)
    response = api.as_user(first).post(f"/problems/{pid}/claims", {})
    assert response.status_code == 409
    assert error_code(response) == "problem_not_open"
    assert api.as_user(second).post(f"/problems/{pid}/claims", {}).status_code == 403


def test_staff_cannot_claim(api, staff, post_problem):
    pid = post_problem()["id"]
    assert api.as_user(staff).post(f"/problems/{pid}/claims", {}).status_code == 403


def test_accepting_outside_your_area_is_forbidden(api, commissioner, post_problem):
    pid = post_problem()["id"]
    claim = api.as_user(commissioner).post(f"/problems/{pid}/claims", {}).json()
    other = TownshipStaffFactory(area_id="451003100")
    assert api.as_user(other).post(f"/problems/{pid}/claims/{claim['id']}/accept").status_code == 403


def test_county_staff_may_accept_in_their_county(api, county_staff, commissioner, post_problem):
    pid = post_problem()["id"]
    claim = api.as_user(commissioner).post(f"/problems/{pid}/claims", {}).json()
    assert api.as_user(county_staff).post(f"/problems/{pid}/claims/{claim['id']}/accept").status_code == 200


def test_accepting_twice_is_a_conflict(api, staff, commissioner, post_problem):
    pid = post_problem()["id"]
    claim = api.as_user(commissioner).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    response = api.post(f"/problems/{pid}/claims/{claim['id']}/accept")
    assert response.status_code == 409


def test_accepting_an_unknown_claim_is_404(api, staff, post_problem):
    pid = post_problem()["id"]
    response = api.as_user(staff).post(f"/problems/{pid}/claims/999999/accept")
    assert response.status_code == 404
    assert error_code(response) == "claim_not_found"


def test_only_the_accepted_commissioner_resolves(api, staff, village, post_problem):
    pid = post_problem()["id"]
    worker, other = make_commissioner(village), make_commissioner(village)
    claim = api.as_user(worker).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(other).post(f"/problems/{pid}/claims", {})
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    response = api.as_user(other).post(f"/problems/{pid}/resolve", {"summary": "done"})
    # 403, as contract v1.1 says: the declined claimant no longer sees the problem in progress
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_confirming_before_resolution_is_a_conflict(api, staff, post_problem):
    pid = post_problem()["id"]
    response = api.as_user(staff).post(f"/problems/{pid}/confirm", {"rating": 4})
    assert response.status_code == 409


@pytest.mark.parametrize("rating", [0, 6, "five"])
def test_a_rating_is_one_to_five(api, staff, post_problem, rating):
    pid = post_problem()["id"]
    response = api.as_user(staff).post(f"/problems/{pid}/confirm", {"rating": rating})
    assert response.status_code == 422
    assert "rating" in response.json()["error"]["fields"]


def test_withdrawing_is_only_for_open_problems(api, staff, commissioner, post_problem):
    pid = post_problem()["id"]
    claim = api.as_user(commissioner).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    response = api.post(f"/problems/{pid}/withdraw", {})
    assert response.status_code == 409
    assert error_code(response) == "problem_not_open"


def test_withdrawing_declines_pending_claims_and_is_in_history(api, staff, commissioner, post_problem):
    pid = post_problem()["id"]
    api.as_user(commissioner).post(f"/problems/{pid}/claims", {})
    body = api.as_user(staff).post(f"/problems/{pid}/withdraw", {"reason": "重复"}).json()
    assert body["status"] == "withdrawn"
    assert body["claims"][0]["status"] == "declined"
    assert ProblemEvent.objects.filter(problem_id=pid, kind="withdrawn", note="重复").exists()


def test_the_claimant_keeps_seeing_a_problem_after_it_leaves_open(api, staff, commissioner, post_problem):
    pid = post_problem()["id"]
    claim = api.as_user(commissioner).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    assert api.as_user(commissioner).get(f"/problems/{pid}").status_code == 200
    stranger = CommissionerFactory()
    assert api.as_user(stranger).get(f"/problems/{pid}").status_code == 403


def test_unknown_problem_is_404(api, staff):
    response = api.as_user(staff).get("/problems/424242")
    assert response.status_code == 404
    assert error_code(response) == "problem_not_found"
