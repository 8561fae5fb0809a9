from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound


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
