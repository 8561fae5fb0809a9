from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound


class TargetExists(Conflict):
    code = "target_exists"
    message = _("A target with this code exists already.")


class TargetNotFound(NotFound):
    message = _("No target with this code.")
