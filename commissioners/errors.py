from core.errors import Conflict, NotFound


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    message = "You have already claimed this problem."


class ClaimNotPending(Conflict):
    code = "claim_not_pending"
    message = "The claim is not pending."


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    message = "No such claim on this problem."


class NotTheAcceptedCommissioner(Conflict):
    code = "not_accepted_commissioner"
    message = "Only the commissioner whose claim was accepted can resolve this problem."
