from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden


class ProblemNotOpen(Conflict):
    code = "problem_not_open"
    message = _("The problem is not open.")


class ProblemWrongStatus(Conflict):
    code = "problem_wrong_status"
    message = _("The problem is not in a status that allows this.")


class ClientIdReused(Conflict):
    code = "client_id_reused"
    message = _("This client_id was already used for a different record.")


class NotYourTownship(Forbidden):
    code = "outside_scope"
    message = _("You may post problems only for villages of your township.")
