"""A team of three commissioners from three counties, made through the service."""

from tests.factories import CountyStaffFactory

YOUJIANG, TIANYANG, TIANDONG = "451002", "451003", "451022"
BAICHENG, TIANZHOU = "451002001", "451003100"


def make_team(members, *, staff=None, name="芒果技术服务共享团队", industry="fruit-trees",
              areas=(BAICHENG, TIANZHOU)):
    from teams.services import team_create

    staff = staff or CountyStaffFactory(area_id=YOUJIANG)
    return team_create(staff=staff, name=name, industry=industry, leader_id=members[0].pk,
                       member_ids=[m.pk for m in members], service_area_codes=list(areas)).team
