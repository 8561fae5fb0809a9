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


class ImportForbidden(Forbidden):
    message = _("Only county staff and the bureau import people.")


class ImportRaced(Conflict):
    """A concurrent import or `POST /users` took a phone of this roster between the check and the write."""

    code = "import_conflict"
    message = _("Someone else created some of these people at the same moment; import the file again.")
