"""seed_demo's teams look like Baise's, and are made once."""

import pytest

from demo.people import demo_users_seed
from demo.teams import demo_teams_seed
from teams.models import Team

pytestmark = pytest.mark.django_db


def test_the_demo_mango_team_serves_youjiang_and_tianyang_with_members_of_three_counties():
    demo_users_seed()

    assert demo_teams_seed() == 3

    mango = Team.objects.get(name__endswith="芒果技术服务共享团队")
    counties = {m.user.area_id[:6] for m in mango.memberships.select_related("user")}
    assert len(counties) == 3
    assert {a.area_id[:6] for a in mango.service_areas.all()} == {"451002", "451003"}
    assert mango.memberships.get(role="leader").user.phone == "13800000011"


def test_seeding_the_demo_teams_twice_changes_nothing():
    demo_users_seed()
    demo_teams_seed()
    assert demo_teams_seed() == 0
    assert Team.objects.count() == 3
