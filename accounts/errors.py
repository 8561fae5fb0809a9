from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, Invalid


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = _("A user with this phone number already exists.")


class ConsentRequired(Forbidden):
    code = "consent_required"
    message = _("Record the location consent before sending positions.")


class CurrentPasswordWrong(Invalid):
    """A password change whose current password is wrong: a guess, counted like a failed login."""
