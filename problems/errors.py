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


class NotTheAcceptedCommissioner(Forbidden):
    # 403, not 409: whatever the problem's state, this commissioner may not do it.
    code = "not_accepted_commissioner"
    message = _("Only the commissioner whose claim was accepted can resolve this problem.")


class TeamAlreadyClaimed(Conflict):
    code = "already_claimed"
    message = _("Your team has already claimed this problem.")


class ClaimReferred(Conflict):
    code = "claim_referred"
    message = _("You referred this problem (or staff referred it from you): another commissioner takes it.")


class NotInConversation(Forbidden):
    code = "not_in_conversation"
    message = _("Only the problem's staff, its claimants and the commissioner working on it take part in "
                "its conversation.")
