"""A problem's conversation: who takes part, replays, refusals, photos, and who hears of a message."""

import uuid

import pytest

from media.models import PhotoOwner
from media.services import photo_attach
from notifications.models import Notification
from problems.models import ProblemMessage
from tests.client import error_code
from tests.factories import CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import make_commissioner
from tests.media.images import jpeg_bytes, upload

from .life import claimed, closed, in_progress, posted

pytestmark = pytest.mark.django_db


def say(api, user, problem_id, body="明天上午到村里看看", **extra):
    return api.as_user(user).post(f"/problems/{problem_id}/messages",
                                  {"client_id": str(uuid.uuid4()), "body": body, **extra})


def test_staff_and_a_claimant_converse(api, staff, commissioner):
    problem = posted(api, staff)
    claimed(api, commissioner, problem["id"])

    sent = say(api, staff, problem["id"], "请问什么时候能来？")
    reply = say(api, commissioner, problem["id"], "明天上午到")

    assert (sent.status_code, reply.status_code) == (201, 201), reply.content
    assert sent.json()["author"] == {"id": staff.pk, "name": staff.name, "role": "township_staff"}
    listed = api.as_user(commissioner).get(f"/problems/{problem['id']}/messages").json()
    assert listed["count"] == 2
    assert [m["body"] for m in listed["items"]] == ["请问什么时候能来？", "明天上午到"]
    assert listed["items"][0] == sent.json()


def test_sending_a_message_again_answers_the_first_message(api, staff):
    problem = posted(api, staff)
    payload = {"client_id": str(uuid.uuid4()), "body": "村里的芒果园在山脚"}

    first = api.as_user(staff).post(f"/problems/{problem['id']}/messages", payload)
    again = api.post(f"/problems/{problem['id']}/messages", payload)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ProblemMessage.objects.count() == 1


def test_reusing_a_client_id_for_another_message_is_a_conflict(api, staff):
    problem = posted(api, staff)
    payload = {"client_id": str(uuid.uuid4()), "body": "第一条"}
    api.as_user(staff).post(f"/problems/{problem['id']}/messages", payload)

    response = api.post(f"/problems/{problem['id']}/messages", {**payload, "body": "另一条"})

    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"


@pytest.mark.parametrize("body", ["", "   \n ", "长" * 2001])
def test_an_empty_blank_or_overlong_message_is_422(api, staff, body):
    problem = posted(api, staff)
    response = say(api, staff, problem["id"], body)
    assert response.status_code == 422
    assert "body" in response.json()["error"]["fields"]


def test_a_commissioner_who_has_not_claimed_takes_no_part(api, staff, commissioner):
    problem = posted(api, staff)
    api.as_user(commissioner)
    for response in (say(api, commissioner, problem["id"]), api.get(f"/problems/{problem['id']}/messages")):
        assert response.status_code == 403
        assert error_code(response) == "not_in_conversation"


def test_staff_outside_the_area_get_403(api, staff):
    problem = posted(api, staff)
    other = TownshipStaffFactory(area_id="451003100")
    response = say(api, other, problem["id"])
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_county_staff_in_scope_take_part(api, staff):
    problem = posted(api, staff)
    assert say(api, CountyStaffFactory(), problem["id"]).status_code == 201


def test_a_declined_claimant_leaves_the_conversation(api, staff, village):
    alice, bob = make_commissioner(village), make_commissioner(village, km_north=3)
    problem = posted(api, staff)
    claim = claimed(api, alice, problem["id"])
    claimed(api, bob, problem["id"])
    api.as_user(staff).post(f"/problems/{problem['id']}/claims/{claim['id']}/accept")

    assert say(api, alice, problem["id"]).status_code == 201
    assert say(api, bob, problem["id"]).status_code == 403


@pytest.mark.parametrize("end", ["closed", "withdrawn"])
def test_a_message_on_a_finished_problem_is_a_conflict(api, staff, commissioner, end):
    if end == "closed":
        problem = closed(api, staff, commissioner)
    else:
        problem = posted(api, staff)
        api.as_user(staff).post(f"/problems/{problem['id']}/withdraw", {})
    response = say(api, staff, problem["id"])
    assert response.status_code == 409
    assert error_code(response) == "problem_wrong_status"


def test_a_message_shows_its_authors_own_photos_of_the_problem(api, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem = posted(api, staff)
    photo, _ = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=problem["id"], uploaded_by=staff,
                            upload=upload(jpeg_bytes((64, 48))))

    response = say(api, staff, problem["id"], "看照片", photo_ids=[photo.pk])

    assert response.status_code == 201, response.content
    assert [p["id"] for p in response.json()["photos"]] == [photo.pk]


def test_someone_elses_photo_is_refused(api, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem = posted(api, staff)
    colleague = TownshipStaffFactory()
    photo, _ = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=problem["id"], uploaded_by=colleague,
                            upload=upload(jpeg_bytes((64, 48))))

    response = say(api, staff, problem["id"], photo_ids=[photo.pk])

    assert response.status_code == 422
    assert "photo_ids" in response.json()["error"]["fields"]
    assert not ProblemMessage.objects.exists()


def test_a_staff_message_tells_the_claimants_on_commit(api, staff, commissioner,
                                                       django_capture_on_commit_callbacks):
    problem = posted(api, staff)
    claimed(api, commissioner, problem["id"])
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks() as callbacks:
        message = say(api, staff, problem["id"], "请带上药剂").json()

    assert callbacks, "the push waits for the commit"
    (note,) = Notification.objects.filter(type="problem.message")
    assert note.recipient_id == commissioner.pk
    assert note.payload == {"problem_id": problem["id"], "message_id": message["id"], "author_id": staff.pk,
                            "author_name": staff.name, "author_role": "township_staff", "excerpt": "请带上药剂"}


def test_a_claimants_message_tells_the_staff_not_the_other_claimants(api, staff, village):
    alice, bob = make_commissioner(village), make_commissioner(village, km_north=3)
    problem = posted(api, staff)
    claimed(api, alice, problem["id"])
    claimed(api, bob, problem["id"])
    Notification.objects.all().delete()

    say(api, alice, problem["id"], "我有经验")

    assert set(Notification.objects.filter(type="problem.message").values_list("recipient_id", flat=True)) == {
        staff.pk}


def test_a_commissioner_reads_the_staff_and_their_own_messages_only(api, staff, village):
    alice, bob = make_commissioner(village), make_commissioner(village, km_north=3)
    problem = posted(api, staff)
    claimed(api, alice, problem["id"])
    claimed(api, bob, problem["id"])
    say(api, alice, problem["id"], "我是甲")
    say(api, bob, problem["id"], "我是乙")
    say(api, staff, problem["id"], "谢谢两位")

    seen = api.as_user(alice).get(f"/problems/{problem['id']}/messages").json()
    assert [m["body"] for m in seen["items"]] == ["我是甲", "谢谢两位"]
    assert [m["body"] for m in api.as_user(staff).get(f"/problems/{problem['id']}/messages").json()["items"]] == [
        "我是甲", "我是乙", "谢谢两位"]


def test_the_accepted_commissioner_converses_while_in_progress(api, staff, commissioner):
    problem = in_progress(api, staff, commissioner)
    assert say(api, commissioner, problem["id"]).status_code == 201


def test_listing_messages_costs_the_same_whatever_the_page(api, staff, django_assert_max_num_queries,
                                                           settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem = posted(api, staff)
    photo, _ = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=problem["id"], uploaded_by=staff,
                            upload=upload(jpeg_bytes((64, 48))))
    for i in range(12):
        say(api, staff, problem["id"], f"第{i}条", photo_ids=[photo.pk])
    api.as_user(staff)
    # the user, the problem, the scope check, the count, the page, the photos
    with django_assert_max_num_queries(6):
        body = api.get(f"/problems/{problem['id']}/messages", limit=12).json()
    assert len(body["items"]) == 12


def test_anonymous_is_401(api, staff):
    problem = posted(api, staff)
    assert api.anonymous().get(f"/problems/{problem['id']}/messages").status_code == 401


def test_unknown_problem_is_404(api, staff):
    assert say(api, staff, 999999).status_code == 404


def test_a_commissioner_of_no_claim_on_an_in_progress_problem_gets_403(api, staff, commissioner):
    problem = in_progress(api, staff, commissioner)
    stranger = CommissionerFactory()
    assert say(api, stranger, problem["id"]).status_code == 403


def test_a_photo_id_beyond_the_database_integer_is_422_not_500(api, staff):
    problem = posted(api, staff)
    response = say(api, staff, problem["id"], photo_ids=[2**63])
    assert response.status_code == 422
    assert "photo_ids" in str(response.json()["error"]["fields"])
