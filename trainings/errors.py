from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden


class NotYourTraining(Forbidden):
    code = "not_your_training"
    message = _("Only the commissioner who ran this training may add to it.")
