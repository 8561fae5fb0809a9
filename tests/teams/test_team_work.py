"""Once a team's claim is accepted every member works on the problem, not only the one who claimed it:
they add photos (and so show them in messages); and once any member referred it, neither the team nor
its members take it up again."""

import pytest

from media.models import Photo
from tests.client import error_code
from tests.fixtures_problems import make_commissioner
from tests.media.images import jpeg_bytes, upload

from .helpers import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(village):
    return [make_commissioner(village, km_north=km) for km in (2, 30)]


@pytest.fixture
def accepted(api, staff, members, post_problem):
    team = make_team(members)
    pid = post_problem()["id"]
    claim = api.as_user(members[0]).post(f"/problems/{pid}/claims", {"team_id": team.pk}).json()
    assert api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept").status_code == 200
    return team, pid


def test_a_member_who_did_not_claim_adds_a_photo_and_shows_it_in_a_message(api, members, accepted, settings,
                                                                            tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _, pid = accepted

    photo = api.as_user(members[1]).upload(f"/problems/{pid}/photos", {"photo": upload(jpeg_bytes((64, 48)))})
    assert photo.status_code == 201, photo.content
    message = api.as_user(members[1]).post(f"/problems/{pid}/messages", {
        "client_id": "0b5c1a9e-4d7e-4f5b-9a53-3c1f4e0d2a11", "body": "现场照片", "photo_ids": [photo.json()["id"]]})

    assert message.status_code == 201, message.content
    assert [p["id"] for p in message.json()["photos"]] == [Photo.objects.get().pk]


def test_a_team_that_referred_a_problem_does_not_take_it_up_again(api, members, accepted):
    team, pid = accepted
    assert api.as_user(members[1]).post(f"/problems/{pid}/refer", {"reason": "需要植保专家"}).status_code == 200

    for member in members:  # the claimer and the one who referred: for the team, or on their own
        for body in ({"team_id": team.pk}, {}):
            response = api.as_user(member).post(f"/problems/{pid}/claims", body)
            assert response.status_code == 409, (member, body, response.content)
            assert error_code(response) == "claim_referred"


def matched(api, staff, pid):
    response = api.as_user(staff).get(f"/problems/{pid}/matches")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    return ({i["team"]["id"] for i in items if i["kind"] == "team"},
            {i["commissioner"]["id"] for i in items if i["kind"] == "commissioner"})


def test_a_team_that_referred_a_problem_and_its_members_are_not_proposed_for_it_again(api, staff, members, accepted):
    team, pid = accepted
    teams_before, people_before = matched(api, staff, pid)
    assert team.pk in teams_before and {m.pk for m in members} <= people_before

    api.as_user(members[1]).post(f"/problems/{pid}/refer", {"reason": "需要植保专家"})

    teams_after, people_after = matched(api, staff, pid)
    assert team.pk not in teams_after
    assert not {m.pk for m in members} & people_after


def test_a_commissioner_who_referred_is_not_proposed_again_but_others_are(api, staff, village, post_problem):
    referrer, other = make_commissioner(village, km_north=1), make_commissioner(village, km_north=3)
    pid = post_problem()["id"]
    claim = api.as_user(referrer).post(f"/problems/{pid}/claims", {}).json()
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
    api.as_user(referrer).post(f"/problems/{pid}/refer", {"reason": "超出专业"})

    _, people = matched(api, staff, pid)
    assert referrer.pk not in people and other.pk in people
