from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, NotFound


class ProblemNotOpen(Conflict):
    code = "problem_not_open"
    message = _("The problem is not open.")


class ProblemWrongStatus(Conflict):
    code = "problem_wrong_status"
    message = _("The problem is not in a status that allows this.")


class NotYourTownship(Forbidden):
    code = "outside_scope"
    message = _("You may post problems only for villages of your township.")


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    message = _("You have already claimed this problem.")


class ClaimNotPending(Conflict):
    code = "claim_not_pending"
    message = _("The claim is not pending.")


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    message = _("No such claim on this problem.")


class NotTheAcceptedCommissioner(Conflict):
    code = "not_accepted_commissioner"
    message = _("Only the commissioner whose claim was accepted can resolve this problem.")


class TeamAlreadyClaimed(Conflict):
    code = "already_claimed"
    message = _("Your team has already claimed this problem.")
