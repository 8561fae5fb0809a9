from core.errors import Conflict, Forbidden, Invalid


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = "A user with this phone number already exists."


class ConsentRequired(Forbidden):
    code = "consent_required"
    message = "Record the location consent before sending positions."


class CurrentPasswordWrong(Invalid):
    """A password change whose current password is wrong: a guess, counted like a failed login."""
