from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, Invalid, NotFound


class TeamNotFound(NotFound):
    code = "team_not_found"
    message = _("No such team.")


class TeamNameTaken(Conflict):
    code = "team_name_taken"
    message = _("The county already has a team of this name.")


class LeaderNotAMember(Invalid):
    code = "leader_not_member"
    message = _("The leader must be one of the team's members.")


class NotCommissioners(Invalid):
    code = "members_not_commissioners"
    message = _("Members must be active commissioners of the city.")


class ServiceAreaInvalid(Invalid):
    code = "service_area_invalid"
    message = _("A team serves townships or villages of the city.")


class TeamInactive(Conflict):
    code = "team_inactive"
    message = _("The team is not active.")


class TeamHasNoActiveMembers(Conflict):
    code = "team_no_active_members"
    message = _("The team has no active member to dispatch.")


class TeamDispatchOverlaps(Conflict):
    code = "team_dispatch_overlaps"
    message = _("Some members are already dispatched to this village for an overlapping period; nobody was "
                "dispatched.")


class NotATeamMember(Forbidden):
    code = "not_team_member"
    message = _("Only a member of the team can do this for it.")
