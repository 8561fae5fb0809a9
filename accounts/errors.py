from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = _("A user with this phone number already exists.")


class ConsentRequired(Forbidden):
    code = "consent_required"
    message = _("Record the location consent before sending positions.")
